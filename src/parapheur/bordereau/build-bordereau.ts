/**
 * Bordereau de signature: a PDF listing each act of the circuit — step, action, who acted for which bureau
 * (and for whom under a délégation), when, the certificate's subject, issuer and serial, and the SHA-256 of
 * what was signed — generated from the recorded acts. For a CAdES typologie the principal stays the signed
 * file and each signature step has its own detached signature (.p7s): the bordereau names each one.
 */
import PDFDocument from 'pdfkit';
import type { Deps } from '../../app/deps.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import { notFound } from '../../shared/errors.ts';
import { currentDocument, detachedSignatures } from '../model.ts';
import { PARAPHEUR_TYPES } from '../workflow/run-parapheur-action.ts';

const ACTION_FR: Record<string, string> = { envoyer: 'Envoi', viser: 'Visa', signer: 'Signature', cachet: 'Cachet serveur', rejeter: 'Rejet', transferer: 'Transfert', reprendre: 'Reprise', interrompre: 'Circuit interrompu' };

const fmt = (d: Date) => d.toLocaleString('fr-FR', { timeZone: 'Europe/Paris' });

export async function buildBordereau(deps: Deps, collectiviteId: string, dossierId: string): Promise<Uint8Array> {
  const { dossier, documents } = await loadDossier(deps.db, collectiviteId, dossierId);
  if (!PARAPHEUR_TYPES.has(dossier.type)) throw notFound('parapheur dossier', 'Dossier de parapheur');
  const collectivite = await deps.db.selectFrom('collectivite').select(['name', 'siren']).where('id', '=', collectiviteId).executeTakeFirstOrThrow();
  const bureaux = new Map((await deps.db.selectFrom('parapheur_bureau').select(['id', 'name']).where('collectivite_id', '=', collectiviteId).execute()).map((b) => [b.id, b.name]));
  const steps = new Map((await deps.db.selectFrom('parapheur_step').select(['id', 'position', 'kind']).where('dossier_id', '=', dossierId).execute()).map((s) => [s.id, s]));
  const acts = await deps.db.selectFrom('parapheur_act').selectAll().where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', dossierId).orderBy('at').orderBy('id').execute();
  const doc = new PDFDocument({ size: 'A4', margin: 48, info: { Title: `Bordereau de signature — ${dossier.title}` } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });
  doc.fontSize(16).text('Bordereau de signature');
  doc.moveDown(0.5).fontSize(10);
  doc.text(`Collectivité : ${collectivite.name} (SIREN ${collectivite.siren})`);
  doc.text(`Dossier : ${dossier.title}`);
  doc.text(`Identifiant : ${dossier.id}`);
  doc.text(`État : ${deps.dossierTypes.get(dossier.type).states[dossier.state]?.label ?? dossier.state}`);
  const final = currentDocument(documents);
  const p7s = detachedSignatures(documents);
  if (final) doc.text(`${p7s.length ? 'Document signé (inchangé)' : 'Document final'} : ${final.filename} — SHA-256 ${final.sha256}`);
  if (p7s.length) {
    doc.text(`Signatures CAdES détachées (${p7s.length}) :`);
    for (const sig of p7s) doc.text(`  ${sig.filename} — SHA-256 ${sig.sha256}`);
  }
  doc.text(`Édité le ${fmt(deps.clock.now())}`);
  doc.moveDown();
  for (const a of acts) {
    const step = a.step_id ? steps.get(a.step_id) : undefined;
    doc.fontSize(11).text(`${step ? `Étape ${step.position} — ` : ''}${ACTION_FR[a.action] ?? a.action}`, { underline: true });
    doc.fontSize(9);
    const actingBureau = a.via_bureau_id ?? a.bureau_id;
    doc.text(`Par : ${a.actor_label}${actingBureau ? ` — bureau ${bureaux.get(actingBureau) ?? actingBureau}` : ''}`);
    if (a.via_bureau_id && a.bureau_id) doc.text(`Pour le compte du bureau : ${bureaux.get(a.bureau_id) ?? a.bureau_id}`);
    doc.text(`Le : ${fmt(a.at)}`);
    if (a.comment) doc.text(`Commentaire : ${a.comment}`);
    const cert = a.certificate as { certificate?: { subject: string; issuer: string; serialNumber: string }; level?: string; timestampTime?: string } | null;
    if (cert?.certificate) {
      doc.text(`Certificat : ${cert.certificate.subject}`);
      doc.text(`Émetteur : ${cert.certificate.issuer}`);
      doc.text(`Numéro de série : ${cert.certificate.serialNumber}`);
      if (cert.level) doc.text(`Niveau : ${cert.level}${cert.timestampTime ? `, horodatage ${cert.timestampTime}` : ''}`);
    }
    if (a.signed_sha256) doc.text(`SHA-256 du document signé : ${a.signed_sha256}`);
    const sig = p7s.find((x) => a.document_hashes.includes(x.sha256));
    if (sig) doc.text(`Signature détachée : ${sig.filename} — SHA-256 ${sig.sha256}`);
    else if (a.document_hashes.length) doc.text(`SHA-256 des documents : ${a.document_hashes.join(', ')}`);
    doc.moveDown(0.6);
  }
  doc.end();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}
