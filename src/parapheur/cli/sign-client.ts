/**
 * `paraphe sign-client`: plays the signer's device against a running server, as a signature application
 * on the person's computer would. It logs in (or uses an API token), asks the server to prepare the
 * signature with the certificate of the PKCS#12 file, signs the returned data with the private key that
 * never leaves this process, and sends the signature value back. Exit codes: 0 signed, 2 refused (the
 * server's French message is printed).
 */
import type { Command } from 'commander';
import { AppError } from '../../shared/errors.ts';
import { Pkcs12KeySource, type PadesKeySource } from '../signature/pades/key-source.ts';
import { Pkcs11KeySource } from '../signature/pades/pkcs11-key-source.ts';

interface Flags {
  url: string;
  collectivite: string;
  dossier: string;
  email?: string;
  password?: string;
  token?: string;
  p12?: string;
  pass?: string;
  pkcs11Module?: string;
  tokenLabel?: string;
  pin?: string;
  keyLabel?: string;
  chain?: string;
  bureau?: string;
}

async function keyOf(flags: Flags): Promise<PadesKeySource> {
  if (flags.pkcs11Module) {
    if (!flags.tokenLabel || !flags.keyLabel || !flags.chain) throw new AppError('BAD_INPUT', 'Avec --pkcs11-module, indiquez --token-label, --key-label, --chain et --pin.', 'incomplete PKCS#11 options');
    return Pkcs11KeySource.open({ module: flags.pkcs11Module, tokenLabel: flags.tokenLabel, keyLabel: flags.keyLabel, chainPath: flags.chain, pin: flags.pin ?? process.env.PARAPHE_PKCS11_PIN ?? '' });
  }
  if (!flags.p12) throw new AppError('BAD_INPUT', 'Indiquez --p12 (fichier PKCS#12) ou --pkcs11-module (jeton).', 'no key given');
  return Pkcs12KeySource.fromFile(flags.p12, flags.pass ?? process.env.PARAPHE_P12_PASSWORD ?? '');
}

interface Session {
  headers: Record<string, string>;
}

async function call(base: string, session: Session, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), { method, headers: { ...session.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    throw new AppError('EXTERNAL_FAILURE', `Serveur Paraphe injoignable (${base})`, `fetch failed: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { message: text };
  }
  if (!res.ok) throw new AppError('UNPROCESSABLE', String(json.message ?? `Erreur HTTP ${res.status}`), `${method} ${path} answered ${res.status} ${String(json.code ?? '')}`);
  return json;
}

async function login(base: string, flags: Flags): Promise<Session> {
  if (flags.token) return { headers: { authorization: `Bearer ${flags.token}` } };
  if (!flags.email || !flags.password) throw new AppError('BAD_INPUT', 'Indiquez --email et --password (ou --token).', 'no credentials');
  const res = await fetch(new URL('/api/auth/login', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: flags.email, password: flags.password }) }).catch((err: Error) => {
    throw new AppError('EXTERNAL_FAILURE', `Serveur Paraphe injoignable (${base})`, `login failed: ${err.message}`);
  });
  const json = (await res.json().catch(() => ({}))) as { csrfToken?: string; message?: string };
  if (!res.ok || !json.csrfToken) throw new AppError('UNAUTHENTICATED', json.message ?? 'Connexion refusée.', `login answered ${res.status}`);
  const cookie = (res.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  return { headers: { cookie, 'x-csrf-token': json.csrfToken } };
}

export async function runSignClient(flags: Flags, log: (line: string) => void = console.log): Promise<{ state: string }> {
  const key = await keyOf(flags);
  const chain = await key.getCertificateChain();
  const session = await login(flags.url, flags);
  const base = `/api/collectivites/${encodeURIComponent(flags.collectivite)}/parapheur/dossiers/${encodeURIComponent(flags.dossier)}`;
  const prepared = await call(flags.url, session, 'POST', `${base}/signature/prepare`, { certificateChain: chain.map((c) => Buffer.from(c).toString('base64')), ...(flags.bureau ? { bureauId: flags.bureau } : {}) });
  const certificate = prepared.certificate as { subject: string };
  const items = prepared.items as { id: string; dataToSign: string; digest: string }[];
  log(`Données à signer reçues : ${items.length} élément(s) ${prepared.format === 'xades' ? '(bordereaux PES)' : prepared.format === 'cades' ? '(signature CAdES détachée)' : '(PDF)'}, certificat ${certificate.subject}.`);
  const signatureValues: string[] = [];
  for (const item of items) {
    const value = await key.sign({ data: new Uint8Array(Buffer.from(item.dataToSign, 'base64')), digest: new Uint8Array(Buffer.from(item.digest, 'base64')), digestAlgorithm: 'SHA-256' });
    signatureValues.push(Buffer.from(value).toString('base64'));
  }
  const done = await call(flags.url, session, 'POST', `${base}/signature/complete`, { sessionId: prepared.sessionId, signatureValues });
  const dossier = done.dossier as { state: string; stateLabel: string };
  log(`Signature acceptée. État du dossier : ${dossier.stateLabel}.`);
  return { state: dossier.state };
}

export function registerSignClient(program: Command): void {
  program
    .command('sign-client')
    .description('signe un dossier du parapheur en deux temps contre un serveur Paraphe, avec un fichier PKCS#12 ou un jeton PKCS#11 (joue le poste du signataire)')
    .requiredOption('--url <url>', 'adresse du serveur, ex. http://127.0.0.1:3000')
    .requiredOption('--collectivite <id>', 'identifiant de la collectivité')
    .requiredOption('--dossier <id>', 'identifiant du dossier')
    .option('--email <email>', 'compte du signataire')
    .option('--password <password>', 'mot de passe (ou PARAPHE_PASSWORD)')
    .option('--token <token>', 'jeton d’API à la place de la connexion')
    .option('--p12 <file>', 'certificat et clé du signataire (PKCS#12)')
    .option('--pass <password>', 'mot de passe du PKCS#12 (ou PARAPHE_P12_PASSWORD)')
    .option('--pkcs11-module <so>', 'module PKCS#11 du jeton (ex. /usr/lib/softhsm/libsofthsm2.so), à la place de --p12')
    .option('--token-label <label>', 'étiquette du jeton PKCS#11')
    .option('--key-label <label>', 'étiquette de la clé sur le jeton')
    .option('--chain <pem>', 'certificat de la clé puis sa chaîne (PEM)')
    .option('--pin <pin>', 'code PIN du jeton (ou PARAPHE_PKCS11_PIN)')
    .option('--bureau <id>', 'bureau au nom duquel signer (si vous en tenez plusieurs)')
    .action(async (flags: Flags) => {
      try {
        await runSignClient({ ...flags, password: flags.password ?? process.env.PARAPHE_PASSWORD });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        console.error(`Erreur : ${err.messageFr}`);
        process.exitCode = 2;
      }
    });
}
