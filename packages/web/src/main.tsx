import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api/client.js';
import { refuseForeignAuthorizationResponse } from './auth/response-issuer.js';
import { createSessionPort } from './auth/session-port.js';
import { takeSignOutReturn } from './auth/sign-out-state.js';
import { createUserManager } from './auth/user-manager.js';
import { ConfigError, loadRuntimeConfig, type RuntimeConfig } from './config/runtime-config.js';
import { createQueryClient, Root } from './Root.js';
import { StartupError } from './StartupError.js';
import { holdPageLoad } from './sync/page-load.js';
import { leaveCopiedRecords } from './todos/copied-records.js';
import './styles.css';

// A page restored from the back/forward cache after sign-out would show the data it held:
// reload it so the app asks the (now empty) session store again.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) window.location.reload();
});

async function start() {
  holdPageLoad();
  const element = document.getElementById('root');
  if (!element) throw new TypeError('index.html needs a #root element');
  let config: RuntimeConfig;
  try {
    config = await loadRuntimeConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createRoot(element).render(<StartupError message={error.message} />);
    return;
  }
  const userManager = createUserManager(config);
  await refuseForeignAuthorizationResponse(userManager, config.issuer);
  takeSignOutReturn();
  // A duplicated tab's copy of the deletes, adds and edits still under way in the first tab.
  await leaveCopiedRecords();
  const session = createSessionPort(userManager);
  const api = createApiClient(config.apiUrl, session);
  createRoot(element).render(
    <StrictMode>
      <Root
        userManager={userManager}
        session={session}
        api={api}
        queryClient={createQueryClient()}
      />
    </StrictMode>,
  );
}

void start();
