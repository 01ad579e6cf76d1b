import type { ReactNode } from 'react';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Breadcrumb } from '@codegouvfr/react-dsfr/Breadcrumb';
import { useFocusHeading, useTitle } from '../hooks';

type Severity = 'success' | 'error' | 'info' | 'warning' | 'new';

/** A dossier's state as a DSFR badge, coloured by what it means for the user. */
export function StateBadge({ state, label, final }: { state: string; label: string; final: boolean }) {
  let severity: Severity | undefined;
  if (/erreur|rejet|refus|annul/.test(state)) severity = 'error';
  else if (/abandon/.test(state)) severity = undefined;
  else if (final) severity = 'success';
  else if (/en_cours|attente/.test(state)) severity = 'info';
  else if (state === 'brouillon') severity = 'new';
  return (
    <Badge small noIcon={severity === undefined} severity={severity}>
      {label}
    </Badge>
  );
}

/** The page's <h1>, focused after navigation, plus the document title and an optional breadcrumb. */
export function PageTitle({ title, breadcrumb, children }: { title: string; breadcrumb?: { label: string; href: string }[]; children?: ReactNode }) {
  useTitle(title);
  const ref = useFocusHeading<HTMLHeadingElement>();
  return (
    <>
      {breadcrumb && breadcrumb.length > 0 && (
        <Breadcrumb className="fr-mt-0 fr-mb-2w" currentPageLabel={title} segments={breadcrumb.map((b) => ({ label: b.label, linkProps: { href: b.href } }))} />
      )}
      <div className="paraphe-title-row">
        <h1 ref={ref} tabIndex={-1} className="fr-h2 fr-mb-3w">
          {title}
        </h1>
        {children && <div className="paraphe-title-actions">{children}</div>}
      </div>
    </>
  );
}

export function ErrorAlert({ message, title = 'Erreur' }: { message: string | null; title?: string }) {
  if (!message) return null;
  return <Alert className="fr-mb-3w" severity="error" small={false} title={title} description={message} role="alert" />;
}

export function Loading({ what = 'Chargement' }: { what?: string }) {
  return (
    <p className="fr-text--sm" aria-live="polite">
      {what}…
    </p>
  );
}
