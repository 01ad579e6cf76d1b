import { useState } from 'react';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { api, errorMessage } from '../api';
import { useDossierTypes, useResource } from '../hooks';
import { formatDateTime, formatNumber } from '../format';
import { journalActionLabel } from '../labels';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import { AdminOnly } from './UsersPage';
import type { JournalEntry } from '../types';

interface Verification {
  valid: boolean;
  entries: number;
  problems: { seq: number; kind: string; message: string }[];
}

export function JournalPage({ cid }: { cid: string }) {
  return (
    <AdminOnly cid={cid} title="Journal de preuve">
      <Journal cid={cid} />
    </AdminOnly>
  );
}

function Journal({ cid }: { cid: string }) {
  const verify = useResource<Verification>(`/api/collectivites/${cid}/journal/verify`);
  const first = useResource<{ items: JournalEntry[]; nextBeforeSeq: number | null }>(`/api/collectivites/${cid}/journal?limit=50`);
  const types = useDossierTypes();
  const actionLabels = Object.fromEntries((types ?? []).flatMap((t) => Object.entries(t.actions).map(([k, a]) => [k, a.label])));
  const [more, setMore] = useState<JournalEntry[]>([]);
  const [next, setNext] = useState<number | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const nextBefore = next === undefined ? first.data?.nextBeforeSeq ?? null : next;

  const loadMore = async () => {
    if (!nextBefore) return;
    try {
      const r = await api<{ items: JournalEntry[]; nextBeforeSeq: number | null }>('GET', `/api/collectivites/${cid}/journal?limit=50&beforeSeq=${nextBefore}`);
      setMore([...more, ...r.items]);
      setNext(r.nextBeforeSeq);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const items = [...(first.data?.items ?? []), ...more];

  return (
    <>
      <PageTitle title="Journal de preuve" />
      <p>Chaque action sur un dossier, chaque connexion et chaque changement d’administration est inscrit dans ce journal, chaîné par empreintes SHA-256 : toute modification, suppression ou inversion d’une entrée est détectée.</p>
      <div className="fr-mb-3w" data-testid="journal-verification" aria-live="polite">
        {verify.error && <ErrorAlert message={verify.error} title="Vérification impossible" />}
        {!verify.data && !verify.error && <Loading what="Vérification de la chaîne" />}
        {verify.data &&
          (verify.data.valid ? (
            <Alert severity="success" title="Journal intègre" description={`${formatNumber(verify.data.entries)} entrées vérifiées : la chaîne d’empreintes est complète et cohérente.`} />
          ) : (
            <Alert
              severity="error"
              title="Journal altéré"
              description={
                <ul>
                  {verify.data.problems.map((p) => (
                    <li key={`${p.seq}-${p.kind}`}>Entrée n° {p.seq} : {p.message}</li>
                  ))}
                </ul>
              }
            />
          ))}
        <Button className="fr-mt-2w" size="small" priority="secondary" iconId="fr-icon-refresh-line" onClick={verify.reload}>
          Vérifier à nouveau
        </Button>
      </div>
      <ErrorAlert message={first.error ?? error} />
      {!first.data ? (
        <Loading />
      ) : (
        <>
          <Table
            className="paraphe-table"
            caption="Entrées du journal, des plus récentes aux plus anciennes"
            headers={['N°', 'Date', 'Par', 'Événement', 'Objet', 'Empreinte']}
            data={items.map((e) => [String(e.seq), formatDateTime(e.at), e.actor, journalActionLabel(e.action, actionLabels), objectLabel(e), <code key="h" title={e.hash}>{e.hash.slice(0, 12)}…</code>])}
          />
          {nextBefore && (
            <Button priority="secondary" onClick={() => void loadMore()}>
              Entrées plus anciennes
            </Button>
          )}
        </>
      )}
    </>
  );
}

function objectLabel(e: JournalEntry): string {
  const types: Record<string, string> = { dossier: 'Dossier', user: 'Utilisateur', 'api-token': 'Jeton', collectivite: 'Collectivité', document: 'Document', session: 'Session' };
  const email = typeof e.details.email === 'string' ? ` ${e.details.email}` : '';
  const name = typeof e.details.name === 'string' ? ` « ${e.details.name} »` : typeof e.details.title === 'string' ? ` « ${e.details.title} »` : '';
  return `${types[e.objectType] ?? e.objectType}${name || email}`;
}
