import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Link } from '../router';
import { STEP_KIND_LABELS, STEP_STATE_LABELS } from './types';

/** The parapheur circuit of a document submitted for signature (an acte, a PES flow), as its module's API gives it. */
export interface CircuitSignature {
  parapheurDossierId: string;
  etat: string;
  etatLibelle: string;
  transmettreApresSignature: boolean;
  motifRefus: string | null;
  etapes: { position: number; kind: string; state: string; bureaux: { id: string; name: string; pending: boolean }[] }[];
}

/** The circuit's state and steps, the refusal motif, and what happens once signed. */
export function CircuitSection({ cid, sig, refused, what, destination }: { cid: string; sig: CircuitSignature; refused: boolean; what: string; destination: string }) {
  return (
    <section className="fr-mb-3w" aria-labelledby="circuit-title">
      <h2 id="circuit-title" className="fr-h5">Circuit de signature</h2>
      {refused && <Alert className="fr-mb-2w" severity="warning" small title="Refusé au parapheur" description={`Motif : ${sig.motifRefus ?? 'non précisé'}. Vous pouvez soumettre ${what} à nouveau ou l’abandonner.`} />}
      <p className="fr-mb-1w">
        Dossier du parapheur : <Link className="fr-link" href={`/c/${cid}/parapheur/dossiers/${sig.parapheurDossierId}`}>{sig.etatLibelle}</Link>
        {sig.transmettreApresSignature ? ` — transmis ${destination} dès la signature.` : ' — à transmettre après la signature.'}
      </p>
      <ol>
        {sig.etapes.map((e) => (
          <li key={e.position}>{`${STEP_KIND_LABELS[e.kind] ?? e.kind} : ${e.bureaux.map((b) => b.name).join(', ') || 'serveur'} (${STEP_STATE_LABELS[e.state] ?? e.state})`}</li>
        ))}
      </ol>
    </section>
  );
}
