/**
 * What the simulated Hélios does with a PES_Aller received in /entree/: the checks of the real chain as
 * far as they are documented (PROTOCOLS.md B.2–B.5) and the PES_ACQUIT it answers with.
 *
 * File-level refusals (nothing integrated, one element of domain 0 "technique" or 99 "paramétrage"):
 *   empty file → ERREUR_FLUX_VIDE; unreadable encoding → ERREUR_ENCODING; not well-formed or not valid
 *   against the PES_Aller schema → ERREUR_SCHEMA_INCOMPLET; SIRET invalid or not known to the simulator →
 *   ERREUR_SIRET; CodCol 000 → ERREUR_CODE_COLLECTIVITE_BUDGET; P_MSG disagreeing with the header, or a
 *   NomFic already received for this collectivité → ERREUR_PES_PARAM; global signature without
 *   InfoDematerialisee → ERREUR_PES_PARAM_SIGNATURE.
 * Element-level results (one ElementACQUIT per bordereau and per PJ; accepted ones are integrated):
 *   bad or missing bordereau signature (InfoDematerialisee = 1) → domain 3, ERREUR_SIGNATURE_INVALIDE
 *   (ERREUR_CERTIFICAT when only the certificate fails: untrusted, expired or not yet valid at SigningTime;
 *   ERREUR_SIGNATURE_INCOMPLETE when XAdES properties are missing; ERREUR_SIGNATURE_ILLISIBLE when the
 *   signature cannot be read or matched to its bordereau); signed bordereau with
 *   InfoDematerialisee ≠ 1 → ERREUR_PES_PARAM_SIGNATURE; bordereau already integrated (same collectivité,
 *   budget, domain, exercice, IdBord) or twice in the file → ERREUR_DOUBLON_BORDEREAU; amounts → ERREUR_CUMUL_MONTANTS;
 *   PJ IdUnique already integrated or twice in the file → ERREUR_DOUBLON_PJ "1984 - …"; PJ name or content → ERREUR_PJ.
 * The numeric prefixes of LibelleAnoAck are only written where a real one is known (1984).
 */
import type { AppError } from '../../shared/errors.ts';
import { verifyPesSignatures, type PesVerification } from '../../parapheur/signature/xades/index.ts';
import { validatePesAller, type PesFinding, type PesSchemaVersion } from '../../helios/pes/index.ts';
import { AllerReader, type BordereauInfo, type PesHeader, type PjInfo } from '../../helios/pes/aller-reader.ts';
import { decodeXml } from '../../shared/xml/safe-xml.ts';
import { buildPesAcquit, DOMAINE_ACK, type AcquitElementInput, type AcquitErreurInput, type NumAnoAck, type PesAcquitInput } from '../../helios/acquit/index.ts';
import type { SimState, SiteParams } from './state.ts';

export interface GatewayOptions {
  /** When not empty, IdColl must be one of these SIRET (ERREUR_SIRET otherwise). */
  knownSirets: string[];
  /** PEM certificates the bordereau signers must chain to; none = chain not checked. */
  trustAnchors: string[];
  schemaVersion: PesSchemaVersion;
}

export interface GatewayResult {
  acquit: Buffer;
  accepted: boolean;
  header?: PesHeader;
  /** Ids of the integrated dépense/recette bordereaux (`domaine:exer:idBord`). */
  acceptedBordereaux: string[];
  summary: Array<{ domaine: string; accepte: boolean; ref?: string; erreurs: string[] }>;
}

const err = (code: NumAnoAck, libelle: string): AcquitErreurInput => ({ code, libelle });
const iso = (d: Date): string => d.toISOString().slice(0, 10);

interface Scan {
  header?: PesHeader;
  bordereaux: BordereauInfo[];
  pjs: PjInfo[];
}

function scan(text: string): Scan {
  const s: Scan = { bordereaux: [], pjs: [] };
  const reader = new AllerReader({
    onHeader: (h) => (s.header = h),
    onBordereau: (b) => s.bordereaux.push({ ...b, pieces: [] }),
    onPj: (pj) => s.pjs.push({ ...pj, content: undefined }),
  });
  for (let i = 0; i < text.length; i += 1 << 20) reader.write(text.slice(i, i + (1 << 20)));
  reader.end();
  return s;
}

/** Header for the acquit of a file whose own header cannot be read: from P_MSG and the upload name. */
function fallbackEntete(site: SiteParams, uploadName: string, now: Date): PesAcquitInput['entete'] & { typFic: string } {
  const [typFic, codCol, idPost, codBud] = (site.msg ?? '').split('#');
  const siret = /_([0-9]{14})_/.exec(uploadName)?.[1];
  return { typFic: typFic || 'PESALR2', dteStr: iso(now), idPost: idPost || '000000', idColl: siret ?? '00000000000000', codCol: codCol || '001', codBud: codBud || '00' };
}

export function bordereauKey(h: PesHeader, b: BordereauInfo): string {
  return [h.entete.idColl, h.entete.codCol, h.entete.codBud, b.domaine, b.exer, b.idBord].join('|');
}

export async function processPesAller(
  bytes: Buffer,
  ctx: { uploadName: string; site: SiteParams; now: Date },
  state: SimState,
  opts: GatewayOptions,
): Promise<GatewayResult> {
  const fileLevel = (domaine: string, errors: AcquitErreurInput[], h?: PesHeader): GatewayResult => {
    const fb = fallbackEntete(ctx.site, ctx.uploadName, ctx.now);
    const input: PesAcquitInput = {
      parametres: { version: h?.parametres.version ?? '2', typFic: h?.parametres.typFic ?? fb.typFic, nomFic: h?.parametres.nomFic ?? ctx.uploadName.replace(/\.xml$/i, '') },
      emetteur: h?.emetteur.sigle ? { sigle: h.emetteur.sigle, adresse: h.emetteur.adresse } : undefined,
      recepteur: { sigle: 'HELIOS', adresse: 'SIMULATEUR PARAPHE' },
      entete: h ? enteteOf(h, ctx.now) : fb,
      elements: [{ domaine: domaine as AcquitElementInput['domaine'], accepte: false, erreurs: errors }],
    };
    return { acquit: buildPesAcquit(input), accepted: false, header: h, acceptedBordereaux: [], summary: [{ domaine, accepte: false, erreurs: errors.map((e) => e.code) }] };
  };

  if (bytes.length === 0) return fileLevel(DOMAINE_ACK.technique, [err('ERREUR_FLUX_VIDE', 'Le fichier reçu est vide.')]);
  let text: string;
  try {
    text = decodeXml(bytes).text;
  } catch (e) {
    return fileLevel(DOMAINE_ACK.technique, [err('ERREUR_ENCODING', `Fichier illisible : ${(e as AppError).messageFr ?? (e as Error).message}`)]);
  }
  let s: Scan;
  try {
    s = scan(text);
  } catch (e) {
    return fileLevel(DOMAINE_ACK.technique, [err('ERREUR_SCHEMA_INCOMPLET', `Fichier non conforme : ${(e as AppError).messageFr ?? (e as Error).message}`)]);
  }
  const h = s.header;
  let report;
  try {
    report = await validatePesAller(bytes, { schemaVersion: opts.schemaVersion });
  } catch (e) {
    return fileLevel(DOMAINE_ACK.technique, [err('ERREUR_SCHEMA_INCOMPLET', `Fichier refusé : ${(e as AppError).messageFr ?? (e as Error).message}`)], h);
  }
  if (!h) return fileLevel(DOMAINE_ACK.technique, [err('ERREUR_SCHEMA_INCOMPLET', 'En-tête PES (EnTetePES) absent.')]);
  if (!report.xsdValid) {
    const first = report.errors.filter((f) => f.source !== 'regle').slice(0, 3);
    return fileLevel(DOMAINE_ACK.technique, first.map((f) => err('ERREUR_SCHEMA_INCOMPLET', `${f.line ? `ligne ${f.line} : ` : ''}${f.messageFr}`)), h);
  }

  // Parameters of the file as a whole.
  const rules = report.errors.filter((f) => f.source === 'regle');
  const param: AcquitErreurInput[] = [];
  const idColl = h.entete.idColl ?? '';
  if (rules.some((f) => f.code === 'IDCOLL_SIRET')) param.push(err('ERREUR_SIRET', `Le SIRET ${idColl} de la collectivité est invalide.`));
  else if (opts.knownSirets.length > 0 && !opts.knownSirets.includes(idColl)) param.push(err('ERREUR_SIRET', `Le SIRET ${idColl} n'est pas connu dans HELIOS.`));
  if (rules.some((f) => f.code === 'CODCOL_000')) param.push(err('ERREUR_CODE_COLLECTIVITE_BUDGET', `Code collectivité ${h.entete.codCol ?? ''} interdit.`));
  const expectedMsg = [h.parametres.typFic, h.entete.codCol, h.entete.idPost, h.entete.codBud].join('#');
  if (ctx.site.msg !== expectedMsg) param.push(err('ERREUR_PES_PARAM', `P_MSG « ${ctx.site.msg ?? ''} » ne correspond pas à l'en-tête du fichier (${expectedMsg}).`));
  const nomFicKey = `${idColl}|${h.parametres.nomFic ?? ''}`;
  if (state.nomFics[nomFicKey]) param.push(err('ERREUR_PES_PARAM', `Le fichier ${h.parametres.nomFic ?? ''} (NomFic) a déjà été reçu.`));
  if (rules.some((f) => f.code === 'SIGNATURE_SANS_DEMAT' && !f.place.bordereau)) {
    param.push(err('ERREUR_PES_PARAM_SIGNATURE', 'Signature globale présente alors que InfoDematerialisee ne vaut pas 1.'));
  }
  if (param.length > 0) return fileLevel(DOMAINE_ACK.parametrage, param, h);

  let verification: PesVerification | undefined;
  if (s.bordereaux.some((b) => b.signed) || text.includes('SignatureValue')) {
    verification = verifyPesSignatures(bytes, { trustAnchors: opts.trustAnchors.length ? opts.trustAnchors : undefined });
  }
  const elements: AcquitElementInput[] = [];
  const global = verification?.signatures.find((sig) => sig.target.element === 'PES_Aller');
  if (global && !global.valid) {
    elements.push({ domaine: DOMAINE_ACK.signatureGlobale, accepte: false, erreurs: [err('ERREUR_SIGNATURE_INVALIDE', `Signature globale invalide : ${global.errors.map((e) => e.messageFr).join(' ; ')}`)] });
  }

  const seenInFile = new Set<string>();
  const acceptedBordereaux: string[] = [];
  const toRegister: Array<[string, string]> = [];
  for (const b of s.bordereaux) {
    const at = (f: PesFinding) => f.place.domaine === b.domaine && f.place.bordereau?.index === b.index;
    const mine = rules.filter(at);
    const sigErrors: AcquitErreurInput[] = [];
    if (b.signed) {
      const sig = verification?.signatures.find((x) => x.target.element === 'Bordereau' && x.target.id !== undefined && x.target.id === b.id);
      if (!sig) sigErrors.push(err('ERREUR_SIGNATURE_ILLISIBLE', 'Signature du bordereau illisible (bordereau sans attribut Id ou signature non rattachée).'));
      else if (!sig.valid) sigErrors.push(err(signatureAnomaly(sig.errors.map((e) => e.code)), `Signature du bordereau invalide : ${sig.errors.map((e) => e.messageFr).join(' ; ')}`));
    }
    if (mine.some((f) => f.code === 'DEMAT_SANS_SIGNATURE')) sigErrors.push(err('ERREUR_SIGNATURE_INVALIDE', 'Bordereau non signé alors que InfoDematerialisee vaut 1.'));
    if (mine.some((f) => f.code === 'SIGNATURE_SANS_DEMAT')) sigErrors.push(err('ERREUR_PES_PARAM_SIGNATURE', 'Bordereau signé alors que InfoDematerialisee ne vaut pas 1.'));
    const errors: AcquitErreurInput[] = [...sigErrors];
    const key = bordereauKey(h, b);
    if (state.bordereaux[key]) errors.push(err('ERREUR_DOUBLON_BORDEREAU', `Le bordereau ${b.idBord ?? ''} de l'exercice ${b.exer ?? ''} a déjà été intégré (fichier ${state.bordereaux[key]}).`));
    else if (seenInFile.has(key) || mine.some((f) => f.code === 'IDBORD_DOUBLON')) errors.push(err('ERREUR_DOUBLON_BORDEREAU', `Le bordereau ${b.idBord ?? ''} de l'exercice ${b.exer ?? ''} figure plusieurs fois dans le fichier.`));
    seenInFile.add(key);
    const pieces = new Map<string, NonNullable<AcquitElementInput['pieces']>[number]>();
    for (const f of mine) {
      if (['DEMAT_SANS_SIGNATURE', 'SIGNATURE_SANS_DEMAT', 'IDBORD_DOUBLON'].includes(f.code)) continue;
      const code: NumAnoAck = /^MT|MONTANT/.test(f.code) ? 'ERREUR_CUMUL_MONTANTS' : 'ERREUR_AUTRE';
      const e = err(code, f.messageFr);
      const idPce = f.place.piece?.idPce ?? (f.place.piece ? String(f.place.piece.index) : undefined);
      if (!idPce) {
        errors.push(e);
        continue;
      }
      let p = pieces.get(idPce);
      if (!p) pieces.set(idPce, (p = { numPiece: idPce, erreurs: [], lignes: [] }));
      const numLigne = f.place.ligne ? (f.place.ligne.idLigne ?? String(f.place.ligne.index)) : undefined;
      if (numLigne) p.lignes!.push({ numLigne, erreurs: [e] });
      else p.erreurs!.push(e);
    }
    const accepte = errors.length === 0 && pieces.size === 0 && !(global && !global.valid);
    elements.push({
      domaine: sigErrors.length ? DOMAINE_ACK.signatureBordereau : b.domaine === 'depense' ? DOMAINE_ACK.depense : DOMAINE_ACK.recette,
      accepte,
      numBord: b.idBord,
      exerciceBord: b.exer,
      erreurs: errors,
      pieces: [...pieces.values()],
    });
    if (accepte) {
      toRegister.push([`b:${key}`, h.parametres.nomFic ?? '']);
      acceptedBordereaux.push(`${b.domaine}:${b.exer ?? ''}:${b.idBord ?? ''}`);
    }
  }

  const pjSeen = new Set<string>();
  for (const pj of s.pjs) {
    const mine = rules.filter((f) => f.place.domaine === 'pj' && f.place.pj?.index === pj.index);
    const errors: AcquitErreurInput[] = [];
    const id = pj.idUnique ?? '';
    if (state.idUniques[id] || pjSeen.has(id)) {
      errors.push(err('ERREUR_DOUBLON_PJ', "1984 - L'identifiant unique de la PJ a déjà été intégré dans HELIOS"));
    }
    pjSeen.add(id);
    for (const f of mine) if (f.code !== 'IDUNIQUE_DOUBLON') errors.push(err('ERREUR_PJ', f.messageFr));
    const accepte = errors.length === 0;
    elements.push({ domaine: DOMAINE_ACK.pj, accepte, idUnique: pj.idUnique, erreurs: errors });
    if (accepte) toRegister.push([`p:${id}`, h.parametres.nomFic ?? '']);
  }
  if (elements.length === 0) elements.push({ domaine: DOMAINE_ACK.technique, accepte: true });

  // Integration of what was accepted.
  state.nomFics[nomFicKey] = ctx.uploadName;
  for (const [k, nomFic] of toRegister) {
    if (k.startsWith('b:')) state.bordereaux[k.slice(2)] = nomFic;
    else state.idUniques[k.slice(2)] = nomFic;
  }

  const acquit = buildPesAcquit({
    parametres: { version: h.parametres.version ?? '2', typFic: h.parametres.typFic ?? 'PESALR2', nomFic: h.parametres.nomFic ?? ctx.uploadName },
    emetteur: h.emetteur.sigle ? { sigle: h.emetteur.sigle, adresse: h.emetteur.adresse } : undefined,
    recepteur: { sigle: 'HELIOS', adresse: 'SIMULATEUR PARAPHE' },
    entete: enteteOf(h, ctx.now),
    elements,
  });
  return {
    acquit,
    accepted: elements.every((e) => e.accepte),
    header: h,
    acceptedBordereaux,
    summary: elements.map((e) => ({ domaine: e.domaine, accepte: e.accepte, ref: e.idUnique ?? (e.numBord ? `${e.exerciceBord ?? ''}/${e.numBord}` : undefined), erreurs: (e.erreurs ?? []).map((x) => x.code) })),
  };
}

const CERT_ISSUES = new Set(['UNTRUSTED', 'CERT_EXPIRED', 'CERT_NOT_YET_VALID']);
const INCOMPLETE_ISSUES = new Set(['XADES_MISSING', 'XADES_NOT_SIGNED', 'POLICY_MISSING', 'SIGNING_TIME_MISSING', 'CERT_MISSING', 'TARGET_NOT_SIGNED']);

/** NumAnoAck for a bordereau signature from the verifier's issue codes. */
export function signatureAnomaly(codes: string[]): NumAnoAck {
  if (codes.length > 0 && codes.every((c) => CERT_ISSUES.has(c))) return 'ERREUR_CERTIFICAT';
  if (codes.includes('CERT_UNREADABLE')) return 'ERREUR_SIGNATURE_ILLISIBLE';
  if (!codes.includes('SIGNATURE_INVALID') && codes.some((c) => INCOMPLETE_ISSUES.has(c))) return 'ERREUR_SIGNATURE_INCOMPLETE';
  return 'ERREUR_SIGNATURE_INVALIDE';
}

function enteteOf(h: PesHeader, now: Date): PesAcquitInput['entete'] {
  const e = h.entete;
  return {
    dteStr: iso(now),
    idPost: e.idPost ?? '000000',
    libellePoste: e.libellePoste,
    idColl: e.idColl ?? '00000000000000',
    finJur: e.finJur,
    codCol: e.codCol ?? '001',
    codBud: e.codBud ?? '00',
    libelleColBud: e.libelleColBud,
  };
}
