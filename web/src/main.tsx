import './styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { configureAuth } from './auth';
import i18n from './i18n';
import { App } from './components/App';
import { loadConfig } from './config';

const root = createRoot(document.getElementById('root') as HTMLElement);

loadConfig().then(
  (config) => {
    configureAuth(config);
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.render(
      <main className="config-problem">
        <h1>{i18n.t('This chat is not configured')}</h1>
        <p role="alert">{error instanceof Error ? error.message : String(error)}</p>
      </main>,
    );
  },
);
