import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startReactDsfr } from '@codegouvfr/react-dsfr/spa';
// The DSFR's core and only the components the application shows (instead of dsfr.main.min.css, every
// component: 575 KB), in the order of the DSFR's own bundle; a component used for the first time must be added
// here (scripts/compare-web-look.ts compares the pages' computed styles with another build).
import '@codegouvfr/react-dsfr/dsfr/core/core.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/upload/upload.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/link/link.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/badge/badge.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/logo/logo.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/button/button.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/breadcrumb/breadcrumb.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/form/form.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/alert/alert.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/notice/notice.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/radio/radio.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/checkbox/checkbox.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/input/input.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/skiplink/skiplink.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/select/select.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/modal/modal.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/navigation/navigation.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/footer/footer.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/search/search.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/translate/translate.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/table/table.main.min.css';
import '@codegouvfr/react-dsfr/dsfr/component/header/header.main.min.css';
// Only the icons named in web/src (see dsfrIcons in vite.config.ts).
import 'virtual:dsfr-icons.css';
import './app.css';
import { Link } from './router';
import { App } from './App';

declare module '@codegouvfr/react-dsfr/spa' {
  interface RegisterLink {
    Link: typeof Link;
  }
}

startReactDsfr({ defaultColorScheme: 'light', Link });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
