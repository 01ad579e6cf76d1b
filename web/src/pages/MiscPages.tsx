import { Link } from '../router';
import { PageTitle } from '../components/common';

export function NotFoundPage() {
  return (
    <>
      <PageTitle title="Page introuvable" />
      <p>La page demandée n’existe pas ou a été déplacée.</p>
      <Link href="/" className="fr-link">Retour à l’accueil</Link>
    </>
  );
}

export function NoCollectivitePage() {
  return (
    <>
      <PageTitle title="Aucune collectivité" />
      <p>Votre compte n’est rattaché à aucune collectivité. Demandez à l’administrateur de votre collectivité de vous y ajouter.</p>
    </>
  );
}
