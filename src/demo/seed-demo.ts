import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';
import { createCollectivite } from '../tenancy/create-collectivite.ts';
import { createGroup } from '../tenancy/create-group.ts';
import { addMember } from '../identity/add-member.ts';
import { createOperatorUser } from '../identity/create-operator-user.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import { ensureOperator } from '../tenancy/ensure-operator.ts';
import { withLuhnKey } from '../tenancy/siren.ts';
import type { CollectiviteRole } from '../identity/roles.ts';
import { pregenerateDemoKeys, seedParapheurDemo } from '../parapheur/demo/seed-parapheur-demo.ts';
import { importDemoClassifications } from './seed-teletransmission-demo.ts';

export const DEMO_PASSWORD = 'paraphe-demo-2026';

export interface DemoCollectiviteSeeded {
  id: string;
  name: string;
  slug: string;
  siret: string;
  agentUserId: string;
}

export interface DemoLogin {
  email: string;
  role: string;
  collectivite: string;
}

const demoActor: Actor = { userId: null, tokenId: null, label: 'données de démonstration' };

const COLLECTIVITES = [
  { key: 'petite', name: 'Commune de Saint-Exemple', type: 'commune' as const, base: '21620123', insee: '62123', population: 1240, arrondissement: 3, domain: 'saint-exemple' },
  { key: 'ville', name: 'Ville de Beaumont-sur-Démo', type: 'commune' as const, base: '21620456', insee: '62456', population: 12850, arrondissement: 1, domain: 'beaumont' },
  { key: 'epci', name: 'Communauté de communes du Val d’Exemple', type: 'epci' as const, base: '20006789', insee: null, population: 24310, arrondissement: 3, domain: 'cc-val-exemple' },
];

/**
 * Starts making the demo PKI's RSA keys (in parallel, in the background): the CA's first, which the demo's
 * Hélios simulator needs, then the seals and the maires' keys. seedDemo uses them when they are there.
 */
export function prepareDemoKeys(dataDir: string): { ca: Promise<void>; all: Promise<void> } {
  const dir = resolve(join(dataDir, 'demo-pki'));
  const ca = pregenerateDemoKeys(dir, ['demo-ca']);
  const all = Promise.all([ca, pregenerateDemoKeys(dir, COLLECTIVITES.flatMap((c) => [`cachet-${c.domain}`, `maire-${c.domain}`]))]).then(() => undefined);
  return { ca, all };
}

const PEOPLE: { local: string; name: string; role: CollectiviteRole }[] = [
  { local: 'admin', name: 'Administratrice', role: 'collectivite_admin' },
  { local: 'agent', name: 'Agent', role: 'agent' },
  { local: 'maire', name: 'Élu', role: 'elu' },
  { local: 'lecture', name: 'Lecteur', role: 'read_only' },
];

/**
 * The demo accounts share one password: it is hashed once (argon2id is deliberately slow, and fourteen
 * hashes of the same public password protect nothing more than one).
 */
function sharedHashDeps(deps: Deps): Deps {
  let shared: Promise<string> | undefined;
  const hash = (password: string): Promise<string> => {
    if (password !== DEMO_PASSWORD) return deps.passwords.hash(password);
    shared ??= deps.passwords.hash(password);
    return shared;
  };
  return { ...deps, passwords: { ...deps.passwords, hash } };
}

/** One operator, three collectivités (a commune under 3,500 inhabitants, one over, an EPCI) and their people. */
export async function seedDemo(deps: Deps, onStep: (label: string) => void = () => {}): Promise<{ logins: DemoLogin[]; collectivites: DemoCollectiviteSeeded[] }> {
  const plain = deps;
  deps = sharedHashDeps(deps);
  const logins: DemoLogin[] = [];
  const collectivites: DemoCollectiviteSeeded[] = [];
  const operatorId = await ensureOperator(deps);
  await createOperatorUser(deps, demoActor, { email: 'admin@cdg-demo.paraphe.test', displayName: 'Opérateur — administration', password: DEMO_PASSWORD, operatorRole: 'operator_admin' });
  await createOperatorUser(deps, demoActor, { email: 'support@cdg-demo.paraphe.test', displayName: 'Opérateur — support', password: DEMO_PASSWORD, operatorRole: 'operator_support' });
  logins.push({ email: 'admin@cdg-demo.paraphe.test', role: 'Administrateur de l’opérateur', collectivite: '—' }, { email: 'support@cdg-demo.paraphe.test', role: 'Support de l’opérateur', collectivite: '—' });
  onStep('opérateur');
  const group = await createGroup(deps, demoActor, 'Arrondissement d’Exemple');
  await setConnectorConfig(deps, demoActor, { type: 'operator', id: operatorId }, 'ged-fs', { path: resolve(join(deps.config.dataDir, 'ged')) });
  // ACTES with the préfecture simulator: the tdt-actes settings (URLs, certificates, mailbox) come from a JSON file.
  if (process.env.PARAPHE_DEMO_TDT_ACTES) await setConnectorConfig(deps, demoActor, { type: 'operator', id: operatorId }, 'tdt-actes', JSON.parse(readFileSync(process.env.PARAPHE_DEMO_TDT_ACTES, 'utf8')) as Record<string, unknown>);
  for (const c of COLLECTIVITES) {
    const col = await createCollectivite(deps, demoActor, {
      name: c.name,
      type: c.type,
      siren: withLuhnKey(c.base),
      sirets: [withLuhnKey(`${withLuhnKey(c.base)}0001`)],
      insee: c.insee,
      population: c.population,
      departement: '062',
      arrondissement: c.arrondissement,
      services: ['parapheur', 'actes', 'helios', 'ged'],
      groupId: c.key === 'ville' ? null : group.id,
    });
    const users: Record<string, string> = {};
    for (const p of PEOPLE) {
      const email = `${p.local}@${c.domain}.paraphe.test`;
      users[p.local] = (await addMember(deps, demoActor, col.id, { email, displayName: `${p.name} — ${c.name}`, password: DEMO_PASSWORD, role: p.role })).userId;
      logins.push({ email, role: p.name, collectivite: c.name });
    }
    await seedParapheurDemo(plain, demoActor, operatorId, { id: col.id, name: c.name, slug: c.domain, users: users as Record<'admin' | 'agent' | 'maire', string> });
    await importDemoClassifications(plain, demoActor, [col.id]);
    collectivites.push({ id: col.id, name: c.name, slug: c.domain, siret: withLuhnKey(`${withLuhnKey(c.base)}0001`), agentUserId: users.agent! });
    onStep(c.name);
  }
  return { logins, collectivites };
}

export async function hasData(deps: Deps): Promise<boolean> {
  return Boolean(await deps.db.selectFrom('collectivite').select('id').limit(1).executeTakeFirst());
}
