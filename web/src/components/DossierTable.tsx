import { Table } from '@codegouvfr/react-dsfr/Table';
import { Link } from '../router';
import { formatDateTime } from '../format';
import type { DossierSummary } from '../types';
import { StateBadge } from './common';

export function DossierTable({ cid, items, caption }: { cid: string; items: DossierSummary[]; caption: string }) {
  return (
    <Table
      className="paraphe-table"
      caption={caption}
      headers={['Titre', 'Type', 'État', 'Dernière modification']}
      data={items.map((d) => [
        <Link key="t" href={`/c/${cid}/dossiers/${d.id}`}>{d.title}</Link>,
        d.typeLabel,
        <StateBadge key="s" state={d.state} label={d.stateLabel} final={d.final} />,
        formatDateTime(d.updatedAt),
      ])}
    />
  );
}
