import { useState, type FormEvent } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Header } from '@codegouvfr/react-dsfr/Header';
import { api, errorMessage, setCsrfToken } from '../api';
import { navigate } from '../router';
import { homeOf } from '../session';
import { ErrorAlert } from '../components/common';
import { useFocusHeading, useTitle } from '../hooks';
import type { Session } from '../types';

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => Promise<Session | null> }) {
  useTitle('Connexion');
  const heading = useFocusHeading<HTMLHeadingElement>();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const res = await api<{ csrfToken: string }>('POST', '/api/auth/login', { email, password });
      setCsrfToken(res.csrfToken);
      const s = await onLoggedIn();
      const next = new URLSearchParams(window.location.search).get('suite');
      if (s) navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : homeOf(s), { replace: true });
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <>
      <Header brandTop={<>République<br />Française</>} homeLinkProps={{ href: '/', title: 'Accueil — Paraphe' }} serviceTitle="Paraphe" serviceTagline="Parapheur et télétransmissions des collectivités" disableDisplay />
      <main id="contenu" className="fr-container fr-py-6w" tabIndex={-1}>
        <div className="fr-grid-row fr-grid-row--center">
          <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
            <div className="paraphe-card fr-p-4w">
              <h1 ref={heading} tabIndex={-1} className="fr-h3">
                Connexion à Paraphe
              </h1>
              <ErrorAlert message={error} title="Connexion impossible" />
              <form onSubmit={(e) => void submit(e)} noValidate>
                <fieldset className="fr-fieldset" aria-label="Identifiants">
                  <div className="fr-fieldset__element">
                    <Input label="Adresse électronique" hintText="Format attendu : nom@domaine.fr" nativeInputProps={{ type: 'email', name: 'email', autoComplete: 'username', required: true, value: email, onChange: (e) => setEmail(e.target.value) }} />
                  </div>
                  <div className="fr-fieldset__element">
                    <Input label="Mot de passe" nativeInputProps={{ type: 'password', name: 'password', autoComplete: 'current-password', required: true, value: password, onChange: (e) => setPassword(e.target.value) }} />
                  </div>
                </fieldset>
                <Button type="submit" disabled={busy}>
                  {busy ? 'Connexion…' : 'Se connecter'}
                </Button>
              </form>
            </div>
          </div>
        </div>
      </main>
    </>
  );
}
