/**
 * Lenient reader of every ACTES message (PROTOCOLS A.6), in both directions: dispatches on the root
 * element's local name (with or without prefix), accepts UTF-8, ISO-8859-1 and windows-1252, codes outside
 * the schema (AnomalieEnveloppe Nature 999) and missing optional parts. It never validates against the
 * schema: that is a separate, explicit step (`validateAgainstXsd`).
 */
import type { Element } from '@xmldom/xmldom';
import { AppError } from '../../shared/errors.ts';
import { parseXmlDom } from '../../shared/xml/safe-xml.ts';
import { classificationFromElement, type Classification } from '../classification/classification.ts';
import { natureByCode } from '../domain/natures.ts';
import { attrLocal, childElements, childrenLocal, firstChildLocal, isNil, textOf } from './dom.ts';

export type Direction = 'collectivite-vers-prefecture' | 'prefecture-vers-collectivite';

export interface ActeContent {
  dateDecision?: string;
  numeroInterne?: string;
  codeNatureActe?: number;
  /** DE, AR… when the code is known. */
  natureAbbr?: string;
  /** Matière codes by level (1..5); a level may be missing (a préfecture echo skipped level 4). */
  codesMatiere: Partial<Record<1 | 2 | 3 | 4 | 5, number>>;
  /** Codes in level order, gaps removed, e.g. [1, 1, 1, 1]. */
  classification: number[];
  objet?: string;
  precedentIdActe?: string;
  classificationDateVersion?: string;
  document?: string;
  nombreAnnexes?: number;
  annexes: string[];
  /** null when `xsi:nil` or absent-but-empty; undefined when the element is missing (pre-2018 messages). */
  documentPapier?: string | null;
}

export interface Referent {
  nom?: string;
  telephone?: string;
  email?: string;
}

export interface EnveloppeCLContent {
  siren?: string;
  departement?: string;
  arrondissement?: string;
  natureCollectivite?: string;
  referent?: Referent;
  adressesRetour: string[];
  formulaires: string[];
}

interface Base {
  /** Message code `T-S` from A.6; null for enveloppes and AnomalieEnveloppe. */
  code: string | null;
  direction: Direction;
  /** Encoding named by the XML declaration. */
  encoding: string;
  /** Every file name the message references (documents, annexes, forms). */
  fichiers: string[];
}

interface CourrierBase extends Base {
  idActe?: string;
  dateCourrierPref?: string;
}

export type ActesMessage =
  | (Base & { kind: 'Acte'; acte: ActeContent })
  | (Base & { kind: 'ARActe'; idActe?: string; dateReception?: string; acteRecu?: ActeContent; classificationDateVersionEnCours?: string })
  | (Base & {
      kind: 'AnomalieActe';
      date?: string;
      nature?: string;
      detail?: string;
      acteRecu?: ActeContent;
      classificationDateVersionEnCours?: string;
    })
  | (Base & { kind: 'AnomalieEnveloppe'; date?: string; nature?: string; detail?: string; enveloppeRecue?: EnveloppeCLContent })
  | (CourrierBase & { kind: 'CourrierSimple'; document?: string })
  | (CourrierBase & { kind: 'ReponseCourrierSimple'; document?: string })
  | (CourrierBase & { kind: 'DemandePieceComplementaire'; descriptionPieces?: string; document?: string })
  | (CourrierBase & { kind: 'ARDemandePieceComplementaire' })
  | (CourrierBase & { kind: 'RefusPieceComplementaire'; document?: string })
  | (CourrierBase & { kind: 'PieceComplementaire'; documents: string[] })
  | (CourrierBase & { kind: 'ARPieceComplementaire'; dateReception?: string })
  | (CourrierBase & { kind: 'LettreObservations'; motif?: string; document?: string })
  | (CourrierBase & { kind: 'ARLettreObservations' })
  | (CourrierBase & { kind: 'RejetLettreObservations'; document?: string })
  | (CourrierBase & { kind: 'ReponseLettreObservations'; document?: string })
  | (CourrierBase & { kind: 'ARReponseRejetLettreObservations'; dateReception?: string })
  | (Base & { kind: 'DefereTA'; idActe?: string; dateDepot?: string; natureIllegalite?: string; piecesJointes: string[] })
  | (Base & { kind: 'Annulation'; idActe?: string })
  | (Base & { kind: 'ARAnnulation'; idActe?: string; dateReception?: string })
  | (Base & { kind: 'DemandeClassification'; dateClassification?: string })
  | (Base & { kind: 'RetourClassification'; dateClassification?: string; classification: Classification })
  | (Base & { kind: 'ReponseClassificationSansChangement'; dateClassification?: string })
  | (Base & { kind: 'EnveloppeCLMISILL'; enveloppe: EnveloppeCLContent })
  | (Base & {
      kind: 'EnveloppeMISILLCL';
      emetteur: { type?: 'IDSGAR' | 'IDPref' | 'IDSousPref'; departement?: string; arrondissement?: string };
      referent?: Referent;
      formulaires: string[];
      destinataireSiren?: string;
    });

export type ActesMessageKind = ActesMessage['kind'];

/** Root element → message code and direction (A.6). */
export const MESSAGE_CODES: Record<ActesMessageKind, { code: string | null; direction: Direction }> = {
  Acte: { code: '1-1', direction: 'collectivite-vers-prefecture' },
  ARActe: { code: '1-2', direction: 'prefecture-vers-collectivite' },
  AnomalieActe: { code: '1-3', direction: 'prefecture-vers-collectivite' },
  AnomalieEnveloppe: { code: null, direction: 'prefecture-vers-collectivite' },
  CourrierSimple: { code: '2-1', direction: 'prefecture-vers-collectivite' },
  ReponseCourrierSimple: { code: '2-2', direction: 'collectivite-vers-prefecture' },
  DemandePieceComplementaire: { code: '3-1', direction: 'prefecture-vers-collectivite' },
  ARDemandePieceComplementaire: { code: '3-2', direction: 'collectivite-vers-prefecture' },
  RefusPieceComplementaire: { code: '3-3', direction: 'collectivite-vers-prefecture' },
  PieceComplementaire: { code: '3-4', direction: 'collectivite-vers-prefecture' },
  ARPieceComplementaire: { code: '3-5', direction: 'prefecture-vers-collectivite' },
  LettreObservations: { code: '4-1', direction: 'prefecture-vers-collectivite' },
  ARLettreObservations: { code: '4-2', direction: 'collectivite-vers-prefecture' },
  RejetLettreObservations: { code: '4-3', direction: 'collectivite-vers-prefecture' },
  ReponseLettreObservations: { code: '4-4', direction: 'collectivite-vers-prefecture' },
  ARReponseRejetLettreObservations: { code: '4-5', direction: 'prefecture-vers-collectivite' },
  DefereTA: { code: '5-1', direction: 'prefecture-vers-collectivite' },
  Annulation: { code: '6-1', direction: 'collectivite-vers-prefecture' },
  ARAnnulation: { code: '6-2', direction: 'prefecture-vers-collectivite' },
  DemandeClassification: { code: '7-1', direction: 'collectivite-vers-prefecture' },
  RetourClassification: { code: '7-2', direction: 'prefecture-vers-collectivite' },
  ReponseClassificationSansChangement: { code: '7-3', direction: 'prefecture-vers-collectivite' },
  EnveloppeCLMISILL: { code: null, direction: 'collectivite-vers-prefecture' },
  EnveloppeMISILLCL: { code: null, direction: 'prefecture-vers-collectivite' },
};

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function nomFichier(el: Element | undefined): string | undefined {
  return el ? textOf(firstChildLocal(el, 'NomFichier')) : undefined;
}

function childText(el: Element, local: string): string | undefined {
  return textOf(firstChildLocal(el, local));
}

function intOrUndefined(v: string | undefined): number | undefined {
  if (v === undefined || !/^\s*-?[0-9]+\s*$/.test(v)) return undefined;
  return Number(v);
}

export function readActeContent(el: Element): ActeContent {
  const codesMatiere: ActeContent['codesMatiere'] = {};
  for (const level of [1, 2, 3, 4, 5] as const) {
    const c = firstChildLocal(el, `CodeMatiere${level}`);
    const v = c ? intOrUndefined(attrLocal(c, 'CodeMatiere')) : undefined;
    if (v !== undefined) codesMatiere[level] = v;
  }
  const code = intOrUndefined(attrLocal(el, 'CodeNatureActe'));
  const annexesEl = firstChildLocal(el, 'Annexes');
  const papier = firstChildLocal(el, 'DocumentPapier');
  const prec = firstChildLocal(el, 'PrecedentIdentifiantActe');
  return {
    ...opt('dateDecision', attrLocal(el, 'Date')),
    ...opt('numeroInterne', attrLocal(el, 'NumeroInterne')),
    ...opt('codeNatureActe', code),
    ...opt('natureAbbr', code !== undefined ? natureByCode(code)?.abbr : undefined),
    codesMatiere,
    classification: Object.values(codesMatiere) as number[],
    ...opt('objet', firstChildLocal(el, 'Objet')?.textContent ?? undefined),
    ...opt('precedentIdActe', prec ? attrLocal(prec, 'IDActe') : undefined),
    ...opt('classificationDateVersion', childText(el, 'ClassificationDateVersion')),
    ...opt('document', nomFichier(firstChildLocal(el, 'Document'))),
    ...opt('nombreAnnexes', annexesEl ? intOrUndefined(attrLocal(annexesEl, 'Nombre')) : undefined),
    annexes: annexesEl ? childrenLocal(annexesEl, 'Annexe').map(nomFichier).filter((x): x is string => !!x) : [],
    ...(papier ? { documentPapier: isNil(papier) || textOf(papier) === '' ? null : textOf(papier)! } : {}),
  };
}

function readReferent(el: Element | undefined): Referent | undefined {
  if (!el) return undefined;
  return { ...opt('nom', childText(el, 'Nom')), ...opt('telephone', childText(el, 'Telephone')), ...opt('email', childText(el, 'Email')) };
}

function formulaires(el: Element | undefined): string[] {
  if (!el) return [];
  return childrenLocal(el, 'Formulaire').map(nomFichier).filter((x): x is string => !!x);
}

export function readEnveloppeCL(el: Element): EnveloppeCLContent {
  const emetteur = firstChildLocal(el, 'Emetteur');
  const idcl = emetteur ? firstChildLocal(emetteur, 'IDCL') : undefined;
  const adresses = firstChildLocal(el, 'AdressesRetour');
  const referent = readReferent(emetteur ? firstChildLocal(emetteur, 'Referent') : undefined);
  return {
    ...opt('siren', idcl ? attrLocal(idcl, 'SIREN') : undefined),
    ...opt('departement', idcl ? attrLocal(idcl, 'Departement') : undefined),
    ...opt('arrondissement', idcl ? attrLocal(idcl, 'Arrondissement') : undefined),
    ...opt('natureCollectivite', idcl ? attrLocal(idcl, 'Nature') : undefined),
    ...opt('referent', referent),
    adressesRetour: adresses ? childrenLocal(adresses, 'Email').map((e) => textOf(e) ?? '').filter(Boolean) : [],
    formulaires: formulaires(firstChildLocal(el, 'FormulairesEnvoyes')),
  };
}

function acteFiles(a: ActeContent | undefined): string[] {
  if (!a) return [];
  return [...(a.document ? [a.document] : []), ...a.annexes];
}

function courrier(root: Element): { idActe?: string; dateCourrierPref?: string } {
  return { ...opt('idActe', attrLocal(root, 'IDActe')), ...opt('dateCourrierPref', attrLocal(root, 'DateCourrierPref')) };
}

function arReponse(root: Element): { idActe?: string; dateCourrierPref?: string; dateReception?: string } {
  const infos = firstChildLocal(root, 'InfosCourrierPref');
  return {
    ...opt('dateReception', attrLocal(root, 'DateReception')),
    ...(infos ? courrier(infos) : courrier(root)),
  };
}

/** Parses a root element already obtained (e.g. from a DOM shared with a signature check). */
export function messageFromElement(root: Element, encoding: string): ActesMessage {
  const kind = (root.localName ?? root.nodeName.replace(/^.*:/, '')) as ActesMessageKind;
  const meta = MESSAGE_CODES[kind];
  if (!meta) {
    throw new AppError(
      'BAD_INPUT',
      `Message ACTES inconnu : élément racine « ${root.nodeName} ».`,
      `unknown ACTES root element ${root.nodeName}`,
      { root: root.nodeName },
    );
  }
  const base = { code: meta.code, direction: meta.direction, encoding };
  const doc = (): string | undefined => nomFichier(firstChildLocal(root, 'Document'));
  const withDoc = (): { document?: string; fichiers: string[] } => {
    const d = doc();
    return { ...opt('document', d), fichiers: d ? [d] : [] };
  };
  switch (kind) {
    case 'Acte': {
      const acte = readActeContent(root);
      return { ...base, kind, acte, fichiers: acteFiles(acte) };
    }
    case 'ARActe':
    case 'AnomalieActe': {
      const recu = firstChildLocal(root, 'ActeRecu');
      const acteRecu = recu ? readActeContent(recu) : undefined;
      const common = {
        ...opt('acteRecu', acteRecu),
        ...opt('classificationDateVersionEnCours', childText(root, 'ClassificationDateVersionEnCours') || undefined),
        fichiers: acteFiles(acteRecu),
      };
      if (kind === 'ARActe') {
        return { ...base, kind, ...opt('idActe', attrLocal(root, 'IDActe')), ...opt('dateReception', attrLocal(root, 'DateReception')), ...common };
      }
      return {
        ...base,
        kind,
        ...opt('date', childText(root, 'Date')),
        ...opt('nature', childText(root, 'Nature')),
        ...opt('detail', childText(root, 'Detail')),
        ...common,
      };
    }
    case 'AnomalieEnveloppe': {
      const recue = firstChildLocal(root, 'EnveloppeRecue');
      const enveloppeRecue = recue ? readEnveloppeCL(recue) : undefined;
      return {
        ...base,
        kind,
        ...opt('date', childText(root, 'Date')),
        ...opt('nature', childText(root, 'Nature')),
        ...opt('detail', childText(root, 'Detail')),
        ...opt('enveloppeRecue', enveloppeRecue),
        fichiers: enveloppeRecue?.formulaires ?? [],
      };
    }
    case 'CourrierSimple':
    case 'ReponseCourrierSimple':
    case 'RefusPieceComplementaire':
    case 'RejetLettreObservations':
    case 'ReponseLettreObservations':
      return { ...base, kind, ...courrier(root), ...withDoc() };
    case 'DemandePieceComplementaire':
      return { ...base, kind, ...courrier(root), ...opt('descriptionPieces', childText(root, 'DescriptionPieces')), ...withDoc() };
    case 'LettreObservations':
      return { ...base, kind, ...courrier(root), ...opt('motif', childText(root, 'Motif')), ...withDoc() };
    case 'ARDemandePieceComplementaire':
    case 'ARLettreObservations':
      return { ...base, kind, ...courrier(root), fichiers: [] };
    case 'PieceComplementaire': {
      const docsEl = firstChildLocal(root, 'Documents');
      const documents = docsEl ? childrenLocal(docsEl, 'Document').map(nomFichier).filter((x): x is string => !!x) : [];
      return { ...base, kind, ...courrier(root), documents, fichiers: documents };
    }
    case 'ARPieceComplementaire':
    case 'ARReponseRejetLettreObservations':
      return { ...base, kind, ...arReponse(root), fichiers: [] };
    case 'DefereTA': {
      const pj = firstChildLocal(root, 'PiecesJointes');
      const piecesJointes = pj ? childrenLocal(pj, 'PieceJointe').map(nomFichier).filter((x): x is string => !!x) : [];
      return {
        ...base,
        kind,
        ...opt('idActe', attrLocal(root, 'IDActe')),
        ...opt('dateDepot', childText(root, 'DateDepot')),
        ...opt('natureIllegalite', childText(root, 'NatureIllegalite')),
        piecesJointes,
        fichiers: piecesJointes,
      };
    }
    case 'Annulation':
      return { ...base, kind, ...opt('idActe', attrLocal(root, 'IDActe')), fichiers: [] };
    case 'ARAnnulation':
      return { ...base, kind, ...opt('idActe', attrLocal(root, 'IDActe')), ...opt('dateReception', attrLocal(root, 'DateReception')), fichiers: [] };
    case 'DemandeClassification':
    case 'ReponseClassificationSansChangement':
      return { ...base, kind, ...opt('dateClassification', childText(root, 'DateClassification')), fichiers: [] };
    case 'RetourClassification': {
      const classification = classificationFromElement(root);
      return { ...base, kind, ...opt('dateClassification', classification.dateClassification || undefined), classification, fichiers: [] };
    }
    case 'EnveloppeCLMISILL': {
      const enveloppe = readEnveloppeCL(root);
      return { ...base, kind, enveloppe, fichiers: enveloppe.formulaires };
    }
    case 'EnveloppeMISILLCL': {
      const emetteurEl = firstChildLocal(root, 'Emetteur');
      const idEl = emetteurEl ? childElements(emetteurEl).find((c) => ['IDSGAR', 'IDPref', 'IDSousPref'].includes(c.localName ?? '')) : undefined;
      const dest = firstChildLocal(root, 'Destinataire');
      const forms = formulaires(firstChildLocal(root, 'FormulairesEnvoyes'));
      return {
        ...base,
        kind,
        emetteur: {
          ...opt('type', idEl?.localName as 'IDSGAR' | 'IDPref' | 'IDSousPref' | undefined),
          ...opt('departement', idEl ? attrLocal(idEl, 'Departement') : undefined),
          ...opt('arrondissement', idEl ? attrLocal(idEl, 'Arrondissement') : undefined),
        },
        ...opt('referent', readReferent(emetteurEl ? firstChildLocal(emetteurEl, 'Referent') : undefined)),
        formulaires: forms,
        ...opt('destinataireSiren', dest ? attrLocal(dest, 'SIREN') : undefined),
        fichiers: forms,
      };
    }
  }
}

/** Parses the bytes of any ACTES message or enveloppe. DOCTYPE/ENTITY are refused. */
export function parseActesMessage(bytes: Uint8Array): ActesMessage {
  const { doc, encoding } = parseXmlDom(bytes);
  return messageFromElement(doc.documentElement!, encoding);
}
