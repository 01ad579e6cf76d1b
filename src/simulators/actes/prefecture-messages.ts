/**
 * The préfecture's side of ACTES (PROTOCOLS A.6): builders of every message it sends, each validated
 * against the bundled schema, in ISO-8859-1 like real préfecture messages.
 */
import { assertSchemaValid } from '../../actes/archive/build.ts';
import { actesRootAttrs, el, serializeLatin1, type XNode } from '../../actes/archive/xml-writer.ts';
import type { ActeContent, EnveloppeCLContent } from '../../actes/messages/parse.ts';

function fichier(name: string, fileName: string): XNode {
  return el(name, [], [el('actes:NomFichier', [], [fileName])]);
}

function done(root: XNode, what: string, validate = true): Buffer {
  const bytes = serializeLatin1(root);
  if (validate) assertSchemaValid(bytes, what);
  return bytes;
}

/** `ActeRecu`: the acte as received, rebuilt from its parsed content. */
export function acteRecu(a: ActeContent): XNode {
  const children: XNode[] = [];
  for (const level of [1, 2, 3, 4, 5] as const) {
    const code = a.codesMatiere[level];
    if (code !== undefined) children.push(el(`actes:CodeMatiere${level}`, [['actes:CodeMatiere', String(code)]]));
  }
  children.push(el('actes:Objet', [], [a.objet ?? '']));
  if (a.precedentIdActe) children.push(el('actes:PrecedentIdentifiantActe', [['actes:IDActe', a.precedentIdActe]]));
  children.push(el('actes:ClassificationDateVersion', [], [a.classificationDateVersion ?? '']));
  children.push(fichier('actes:Document', a.document ?? ''));
  children.push(el('actes:Annexes', [['actes:Nombre', String(a.annexes.length)]], a.annexes.map((n) => fichier('actes:Annexe', n))));
  children.push(el('actes:DocumentPapier', [], a.documentPapier ? [a.documentPapier] : []));
  return el(
    'actes:ActeRecu',
    [
      ['actes:CodeNatureActe', String(a.codeNatureActe ?? '')],
      ['actes:Date', a.dateDecision ?? ''],
      ['actes:NumeroInterne', a.numeroInterne ?? ''],
    ],
    children,
  );
}

export function enveloppeRecue(e: EnveloppeCLContent): XNode {
  const emetteur: XNode[] = [
    el('actes:IDCL', [
      ['insee:SIREN', e.siren ?? ''],
      ['actes:Departement', e.departement ?? ''],
      ['actes:Arrondissement', e.arrondissement ?? ''],
      ['actes:Nature', e.natureCollectivite ?? ''],
    ]),
  ];
  const r = e.referent;
  if (r && (r.nom || r.telephone || r.email)) {
    emetteur.push(
      el('actes:Referent', [], [
        ...(r.nom ? [el('actes:Nom', [], [r.nom])] : []),
        ...(r.telephone ? [el('actes:Telephone', [], [r.telephone])] : []),
        ...(r.email ? [el('actes:Email', [], [r.email])] : []),
      ]),
    );
  }
  return el('actes:EnveloppeRecue', [], [
    el('actes:Emetteur', [], emetteur),
    el('actes:AdressesRetour', [], e.adressesRetour.map((a) => el('actes:Email', [], [a]))),
    el('actes:FormulairesEnvoyes', [], e.formulaires.map((f) => fichier('actes:Formulaire', f))),
  ]);
}

/** 1-2 */
export function arActe(idActe: string, dateReception: string, acte: ActeContent, classificationDate: string): Buffer {
  return done(
    el('actes:ARActe', [...actesRootAttrs(true), ['actes:IDActe', idActe], ['actes:DateReception', dateReception]], [
      acteRecu(acte),
      el('actes:ClassificationDateVersionEnCours', [], [classificationDate]),
    ]),
    'ARActe',
  );
}

/** 1-3 (Nature: 3 digits). */
export function anomalieActe(date: string, nature: string, detail: string, acte: ActeContent, classificationDate: string): Buffer {
  return done(
    el('actes:AnomalieActe', actesRootAttrs(true), [
      el('actes:Date', [], [date]),
      el('actes:Nature', [], [nature]),
      el('actes:Detail', [], [detail]),
      acteRecu(acte),
      el('actes:ClassificationDateVersionEnCours', [], [classificationDate]),
    ]),
    'AnomalieActe',
  );
}

/**
 * AnomalieEnveloppe. The echo of an enveloppe that broke the schema may break it too (real anomalies do):
 * it is validated only when the received enveloppe was valid.
 */
export function anomalieEnveloppe(date: string, nature: string, detail: string, enveloppe: EnveloppeCLContent, validate: boolean): Buffer {
  return done(
    el('actes:AnomalieEnveloppe', actesRootAttrs(true), [
      el('actes:Date', [], [date]),
      el('actes:Nature', [], [nature]),
      el('actes:Detail', [], [detail]),
      enveloppeRecue(enveloppe),
    ]),
    'AnomalieEnveloppe',
    validate,
  );
}

/** 6-2 */
export function arAnnulation(idActe: string, dateReception: string): Buffer {
  return done(el('actes:ARAnnulation', [...actesRootAttrs(), ['actes:IDActe', idActe], ['actes:DateReception', dateReception]]), 'ARAnnulation');
}

/** 3-5 or 4-5 */
export function arReponse(kind: 'ARPieceComplementaire' | 'ARReponseRejetLettreObservations', dateReception: string, idActe: string, dateCourrierPref: string): Buffer {
  return done(
    el(`actes:${kind}`, [...actesRootAttrs(), ['actes:DateReception', dateReception]], [
      el('actes:InfosCourrierPref', [['actes:IDActe', idActe], ['actes:DateCourrierPref', dateCourrierPref]]),
    ]),
    kind,
  );
}

/** 7-3 */
export function reponseClassificationSansChangement(date: string): Buffer {
  return done(el('actes:ReponseClassificationSansChangement', actesRootAttrs(), [el('actes:DateClassification', [], [date])]), 'ReponseClassificationSansChangement');
}

export type CourrierKind = 'CourrierSimple' | 'DemandePieceComplementaire' | 'LettreObservations' | 'DefereTA';

export const COURRIER_CODES: Record<CourrierKind, string> = {
  CourrierSimple: '2-1',
  DemandePieceComplementaire: '3-1',
  LettreObservations: '4-1',
  DefereTA: '5-1',
};

export interface CourrierInput {
  idActe: string;
  dateCourrierPref: string;
  documentName: string;
  /** 3-1 */
  descriptionPieces?: string;
  /** 4-1 */
  motif?: string;
  /** 5-1 */
  dateDepot?: string;
  natureIllegalite?: string;
}

/** 2-1, 3-1, 4-1, 5-1 */
export function courrier(kind: CourrierKind, i: CourrierInput): Buffer {
  if (kind === 'DefereTA') {
    return done(
      el('actes:DefereTA', [...actesRootAttrs(), ['actes:IDActe', i.idActe]], [
        el('actes:DateDepot', [], [i.dateDepot ?? i.dateCourrierPref]),
        el('actes:NatureIllegalite', [], [i.natureIllegalite ?? 'Incompétence de l’auteur de l’acte']),
        el('actes:PiecesJointes', [], [fichier('actes:PieceJointe', i.documentName)]),
      ]),
      kind,
    );
  }
  const children: XNode[] = [];
  if (kind === 'DemandePieceComplementaire') children.push(el('actes:DescriptionPieces', [], [i.descriptionPieces ?? 'Pièces justificatives manquantes']));
  if (kind === 'LettreObservations') children.push(el('actes:Motif', [], [i.motif ?? 'Observations sur la légalité de l’acte']));
  children.push(fichier('actes:Document', i.documentName));
  return done(el(`actes:${kind}`, [...actesRootAttrs(), ['actes:IDActe', i.idActe], ['actes:DateCourrierPref', i.dateCourrierPref]], children), kind);
}

/** The préfecture's enveloppe for an archive it sends (`EnveloppeMISILLCL`). */
export function enveloppeMISILLCL(departement: string, arrondissement: string | undefined, siren: string, formulaires: string[]): Buffer {
  const id = arrondissement
    ? el('actes:IDSousPref', [['actes:Departement', departement], ['actes:Arrondissement', arrondissement]])
    : el('actes:IDPref', [['actes:Departement', departement]]);
  return done(
    el('actes:EnveloppeMISILLCL', actesRootAttrs(true), [
      el('actes:Emetteur', [], [
        id,
        el('actes:Referent', [], [el('actes:Nom', [], ['Bureau du contrôle de légalité (simulateur)']), el('actes:Email', [], ['controle-legalite@prefecture.test'])]),
      ]),
      el('actes:FormulairesEnvoyes', [], formulaires.map((f) => fichier('actes:Formulaire', f))),
      el('actes:Destinataire', [['insee:SIREN', siren]]),
    ]),
    'EnveloppeMISILLCL',
  );
}
