import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../shared/errors.ts';
import { parsePesAcquit, parsePesRetour, retourSummaryFr } from '../pes/index.ts';
import { buildPesAcquit, buildPesRetour, DOMAINE_ACK, type PesAcquitInput } from './index.ts';
import { CONFORMANCE_ACQUIT_XSD, CONFORMANCE_RETOUR_XSD, xmllintSchema } from './testing.ts';

const base: Omit<PesAcquitInput, 'elements'> = {
  parametres: { version: '2', typFic: 'PESALR2', nomFic: 'PESALR2_21060088800017_261123_001' },
  emetteur: { sigle: 'PARAPHE', adresse: 'Paraphe 0.1.0' },
  recepteur: { sigle: 'HELIOS', adresse: 'DGFIP' },
  entete: { dteStr: '2026-11-23', idPost: '034000', idColl: '21060088800017', codCol: '123', codBud: '12', libelleColBud: 'Commune de Saint-Étienne' },
};

test('an accepted acquit has EtatAck 1 per bordereau and PJ, echoes NomFic and validates with xmllint', async () => {
  const bytes = buildPesAcquit({
    ...base,
    elements: [
      { domaine: DOMAINE_ACK.depense, accepte: true, numBord: '12', exerciceBord: '2026' },
      { domaine: DOMAINE_ACK.pj, accepte: true, idUnique: 'PJ2026000001' },
    ],
  });
  const lint = xmllintSchema(bytes, CONFORMANCE_ACQUIT_XSD);
  assert.ok(lint.valid, lint.output);
  const a = await parsePesAcquit(bytes);
  assert.equal(a.statut, 'OK');
  assert.equal(a.nomFic, 'PESALR2_21060088800017_261123_001');
  assert.deepEqual(a.elements.map((e) => [e.domaineAck, e.etatAck, e.numBord ?? e.idUnique]), [['5', '1', '12'], ['4', '1', 'PJ2026000001']]);
});

test('a rejected acquit carries errors per bordereau, pièce, ligne and PJ, in ISO-8859-1, and validates with xmllint', async () => {
  const bytes = buildPesAcquit({
    ...base,
    elements: [
      {
        domaine: DOMAINE_ACK.depense,
        accepte: false,
        numBord: '12',
        exerciceBord: '2026',
        pieces: [{ numPiece: '3', lignes: [{ numLigne: '1', erreurs: [{ code: 'ERREUR_AUTRE', libelle: '1963 - Domiciliation erronée' }] }] }],
      },
      { domaine: DOMAINE_ACK.signatureBordereau, accepte: false, numBord: '13', exerciceBord: '2026', erreurs: [{ code: 'ERREUR_SIGNATURE_INVALIDE', libelle: 'Signature du bordereau invalide – empreinte € fausse' }] },
      { domaine: DOMAINE_ACK.pj, accepte: false, idUnique: 'PJ2026000001', erreurs: [{ code: 'ERREUR_DOUBLON_PJ', libelle: "1984 - L'identifiant unique de la PJ a déjà été intégré dans HELIOS" }] },
    ],
  });
  assert.match(bytes.subarray(0, 60).toString('latin1'), /encoding="ISO-8859-1"/);
  assert.ok(bytes.includes(Buffer.from('erron\xe9e', 'latin1')), 'é written as one Latin-1 byte');
  assert.ok(bytes.includes(Buffer.from('&#8364;')), '€ written as a character reference');
  const lint = xmllintSchema(bytes, CONFORMANCE_ACQUIT_XSD);
  assert.ok(lint.valid, lint.output);
  const a = await parsePesAcquit(bytes);
  assert.equal(a.statut, 'KO');
  assert.equal(a.nombreErreurs, 3);
  assert.equal(a.elements[0]!.pieces[0]!.lignes[0]!.erreurs[0]!.codeNumerique, '1963');
  assert.equal(a.elements[1]!.erreurs[0]!.libelle, 'Signature du bordereau invalide – empreinte € fausse');
  assert.equal(a.elements[2]!.erreurs[0]!.code, 'ERREUR_DOUBLON_PJ');
});

test('a file-level rejection (no bordereau) is a schema-valid acquit with one technical element', () => {
  const bytes = buildPesAcquit({ ...base, elements: [{ domaine: DOMAINE_ACK.technique, accepte: false, erreurs: [{ code: 'ERREUR_SCHEMA_INCOMPLET', libelle: 'x'.repeat(800) }] }] });
  const lint = xmllintSchema(bytes, CONFORMANCE_ACQUIT_XSD);
  assert.ok(lint.valid, lint.output);
});

test('the acquit builder refuses an empty element list and an unknown anomaly code', () => {
  assert.throws(() => buildPesAcquit({ ...base, elements: [] }), AppError);
  assert.throws(
    () => buildPesAcquit({ ...base, elements: [{ domaine: '0', accepte: false, erreurs: [{ code: 'ERREUR_INVENTEE' as never, libelle: 'x' }] }] }),
    (e: unknown) => e instanceof AppError && /ERREUR_INVENTEE/.test(e.message),
  );
});

test('a PES_Retour for dépense bordereaux validates with xmllint and parses back', async () => {
  const bytes = buildPesRetour({
    nomFic: 'PES2R_034000_261123_0001',
    entete: { dteStr: '2026-11-23', idPost: '034000', idColl: '21060088800017', codColl: '123', codBud: '12' },
    depense: [{ exer: '2026', idBord: '12', typBord: '01', pieces: [
      { idPce: '1', typPce: '01', natPce: '01', obj: 'Réparation école', dtePcePec: '2026-11-23', lignes: [{ idLigne: '1', mtHT: '100.50' }] },
      { idPce: '2', typPce: '01', natPce: '01', etat: '04', lignes: [{ idLigne: '1', mtHT: '10.00', etat: '02', obsEtat: 'Pièce justificative absente' }] },
      { idPce: '3', typPce: '01', natPce: '01', lignes: [{ idLigne: '1', mtHT: '12.00' }] },
    ] }],
  });
  const lint = xmllintSchema(bytes, CONFORMANCE_RETOUR_XSD);
  assert.ok(lint.valid, lint.output);
  const r = await parsePesRetour(bytes);
  assert.equal(r.typFic, 'PESRETOUR_DEP');
  assert.deepEqual(r.domaines, [{ nom: 'PES_DepenseRetour', elements: 2 }]);
  assert.deepEqual(retourSummaryFr(r), ['Mandats, exercice 2026, bordereau n° 12 : 3 pièces (2 prises en charge, 1 rejetée, 1 ligne rejetée)']);
});

test('a PES_Retour for recette bordereaux (XSD-valid) is summarised with the recette nomenclature', async () => {
  // Recette states differ from dépense ones (CommunRecette_Retour.xsd): pièce 05 is « annulé », and a
  // rejected line is EtatLigPce 01 (02 is « annulé »). A BordereauORMCGlobal has no pièces.
  const bytes = Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>
<n:PES_Retour xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour">
<Enveloppe><Parametres><Version V="2"/><TypFic V="PESRETOUR_REC"/><NomFic V="PES2R_034000_261124_0002"/></Parametres></Enveloppe>
<EnTetePES><DteStr V="2026-11-24"/><IdPost V="034000"/><IdColl V="21060088800017"/><CodColl V="123"/><CodBud V="12"/></EnTetePES>
<PES_RecetteRetour>
<EnTeteRecette><TypRestit V="AA"/><IdVer V="2"/><NatInf V="2"/></EnTeteRecette>
<Bordereau>
<BlocBordereau><Exer V="2026"/><IdBord V="7"/><TypBord V="01"/></BlocBordereau>
<Piece><BlocPiece><IdPce V="1"/><TypPce V="01"/><NatPce V="01"/><Obj V="Cantine scolaire"/><DtePcePec V="2026-11-24"/><EtatPce V="02"/></BlocPiece>
<LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><EtatLigPce V="04"/><MtHT V="120.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
<Piece><BlocPiece><IdPce V="2"/><TypPce V="01"/><NatPce V="01"/><EtatPce V="05"/></BlocPiece>
<LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><EtatLigPce V="02"/><MtHT V="30.00"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
<Piece><BlocPiece><IdPce V="3"/><TypPce V="01"/><NatPce V="01"/><EtatPce V="04"/><ObsEtat V="01"/></BlocPiece>
<LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><EtatLigPce V="01"/><ObsEtat V="03"/><MtHT V="45.50"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
</Bordereau>
<Bordereau>
<BordereauORMCGlobal><Exer V="2026"/><IdBord V="8"/><MtTTC V="980.00"/></BordereauORMCGlobal>
</Bordereau>
</PES_RecetteRetour>
</n:PES_Retour>
`, 'latin1');
  const lint = xmllintSchema(bytes, CONFORMANCE_RETOUR_XSD);
  assert.ok(lint.valid, lint.output);
  const r = await parsePesRetour(bytes);
  assert.equal(r.typFic, 'PESRETOUR_REC');
  assert.deepEqual(r.domaines, [{ nom: 'PES_RecetteRetour', elements: 3 }]);
  assert.deepEqual(
    r.bordereaux.map((b) => [b.domaine, b.exercice, b.numero, b.pieces, b.lignesRejetees]),
    [['PES_RecetteRetour', '2026', '7', 3, 1], ['PES_RecetteRetour', '2026', '8', 0, 0]],
  );
  assert.deepEqual(retourSummaryFr(r), [
    'Titres, exercice 2026, bordereau n° 7 : 3 pièces (1 prise en charge, 1 rejetée, 1 annulée, 1 ligne rejetée)',
    'Titres, exercice 2026, bordereau n° 8 : ORMC global, sans détail des pièces',
  ]);
});
