import { useState, type FormEvent } from 'react';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useDossierTypes, useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { navigate, useLocation } from '../router';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import { DossierTable } from '../components/DossierTable';
import type { DossierSummary } from '../types';

const PAGE = 20;

export function DossierListPage({ cid }: { cid: string }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const types = useDossierTypes();
  const { search } = useLocation();
  const type = search.get('type') ?? '';
  const state = search.get('etat') ?? '';
  const q = search.get('q') ?? '';
  const cursor = search.get('curseur') ?? '';
  const [previous, setPrevious] = useState<string[]>([]);
  const [draft, setDraft] = useState({ type, state, q });

  const qs = new URLSearchParams({ limit: String(PAGE) });
  if (type) qs.set('type', type);
  if (state) qs.set('state', state);
  if (q) qs.set('q', q);
  if (cursor) qs.set('cursor', cursor);
  const list = useResource<{ items: DossierSummary[]; nextCursor: string | null }>(`/api/collectivites/${cid}/dossiers?${qs}`);

  const go = (f: { type: string; state: string; q: string }, nextCursor = '') => {
    const p = new URLSearchParams();
    if (f.type) p.set('type', f.type);
    if (f.state) p.set('etat', f.state);
    if (f.q) p.set('q', f.q);
    if (nextCursor) p.set('curseur', nextCursor);
    const s = p.toString();
    navigate(`/c/${cid}/dossiers${s ? `?${s}` : ''}`);
  };
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setPrevious([]);
    go(draft);
  };

  const states = new Map<string, string>();
  for (const t of types ?? []) if (!draft.type || t.type === draft.type) for (const [k, s] of Object.entries(t.states)) states.set(k, s.label);

  return (
    <>
      <PageTitle title="Dossiers">
        {can.write(role) && (
          <Button iconId="fr-icon-add-line" linkProps={{ href: `/c/${cid}/dossiers/nouveau` }}>
            Nouveau dossier
          </Button>
        )}
      </PageTitle>
      <form className="paraphe-filters fr-mb-3w" onSubmit={apply} aria-label="Filtrer les dossiers">
        <Select label="Type" nativeSelectProps={{ value: draft.type, onChange: (e) => setDraft({ ...draft, type: e.target.value, state: '' }) }}>
          <option value="">Tous les types</option>
          {(types ?? []).map((t) => (
            <option key={t.type} value={t.type}>{t.label}</option>
          ))}
        </Select>
        <Select label="État" nativeSelectProps={{ value: draft.state, onChange: (e) => setDraft({ ...draft, state: e.target.value }) }}>
          <option value="">Tous les états</option>
          {[...states].map(([k, label]) => (
            <option key={k} value={k}>{label}</option>
          ))}
        </Select>
        <Input label="Rechercher dans les titres" nativeInputProps={{ type: 'search', value: draft.q, onChange: (e) => setDraft({ ...draft, q: e.target.value }) }} />
        <div className="paraphe-filters__buttons">
          <Button type="submit" iconId="fr-icon-search-line">Filtrer</Button>
          {(type || state || q) && (
            <Button
              type="button"
              priority="tertiary"
              onClick={() => {
                const empty = { type: '', state: '', q: '' };
                setDraft(empty);
                setPrevious([]);
                go(empty);
              }}
            >
              Effacer les filtres
            </Button>
          )}
        </div>
      </form>
      <ErrorAlert message={list.error} />
      {list.loading && !list.data && <Loading what="Chargement des dossiers" />}
      {list.data && (
        <>
          {list.data.items.length === 0 ? (
            <p>{type || state || q ? 'Aucun dossier ne correspond à ces filtres.' : 'Aucun dossier pour le moment.'}</p>
          ) : (
            <DossierTable cid={cid} items={list.data.items} caption={`${list.data.items.length} dossier${list.data.items.length > 1 ? 's' : ''} affiché${list.data.items.length > 1 ? 's' : ''}${cursor ? ' (page suivante)' : ''}${type || state || q ? ', filtres appliqués' : ''}`} />
          )}
          <nav className="paraphe-pager" aria-label="Pagination des dossiers">
            <Button
              priority="secondary"
              iconId="fr-icon-arrow-left-line"
              disabled={!cursor}
              onClick={() => {
                const prev = [...previous];
                const back = prev.pop() ?? '';
                setPrevious(prev);
                go({ type, state, q }, back);
              }}
            >
              Page précédente
            </Button>
            <Button
              priority="secondary"
              iconId="fr-icon-arrow-right-line"
              iconPosition="right"
              disabled={!list.data.nextCursor}
              onClick={() => {
                setPrevious([...previous, cursor]);
                go({ type, state, q }, list.data?.nextCursor ?? '');
              }}
            >
              Page suivante
            </Button>
          </nav>
        </>
      )}
    </>
  );
}
