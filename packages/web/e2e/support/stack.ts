import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Starts the real parts on 127.0.0.1 ephemeral ports: the dev IdP (with the repository's
 * realm file, patched to this run's web and API addresses), the API on a fresh SQLite file,
 * and the production web server over `packages/web/dist`.
 */
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const webRoot = join(repoRoot, 'packages/web');
const HOST = '127.0.0.1';

/** Access tokens live 20 s on the shared stack: long enough that no scenario outlasts one by accident. */
export const ACCESS_TOKEN_LIFESPAN = 20;

/**
 * Access tokens live 10 s on the stacks of the silent-renewal scenarios, which wait out one
 * lifespan on purpose (renewal at three quarters of it, 7.5 s, well apart from expiry).
 */
export const SHORT_ACCESS_TOKEN_LIFESPAN = 10;

/**
 * One-time-code time steps the test stacks' IdP accepts ahead of now (the realm's
 * `otpPolicyLookAheadWindow`, 1 in the development realm, at most 10). A code is never accepted
 * twice (RFC 6238 §5.2), so every step-up takes the next time step: with one step of look-ahead,
 * nearly every one waited for the 30 s clock (8-idp-temporary-password's three scenarios took
 * 52-60 s each, 11-19 s without the wait). Ten steps give a run's step-ups room (see
 * `nextAdminCode`); the codes are still checked, and a step already used is still refused.
 */
export const OTP_LOOK_AHEAD_WINDOW = 10;

interface Running {
  url: string;
  close(): Promise<void>;
}
interface IdpModule {
  startIdp(options: {
    host: string;
    port: number;
    realm: unknown;
    dataDir: string;
    accessTokenLifespan: number;
  }): Promise<Running & { issuer: string }>;
}
interface ApiModule {
  loadConfig(env: Record<string, string | undefined>): unknown;
  startApi(config: unknown): Promise<Running>;
}
interface WebModule {
  startWebServer(options: {
    host: string;
    port: number;
    distDir: string;
    config: { issuer: string; clientId: string; apiUrl: string };
  }): Promise<Running>;
}

export interface Stack {
  webUrl: string;
  apiUrl: string;
  issuer: string;
  close(): Promise<void>;
}

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
}

/** Builds the server packages (incremental) and the web app when its sources are newer. */
export function buildIfStale(): void {
  run('npx', ['tsc', '-b', 'packages/idp', 'packages/api'], repoRoot);
  const built = newest(join(webRoot, 'dist/index.html'));
  const sources = Math.max(
    newest(join(webRoot, 'src')),
    newest(join(webRoot, 'index.html')),
    newest(join(webRoot, 'public')),
    newest(join(webRoot, 'vite.config.ts')),
  );
  if (!built || sources > built) run('npx', ['vite', 'build', '--logLevel', 'warn'], webRoot);
}

/** A free port: bound, read and released (the parts need each other's URLs up front). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

interface RealmClient {
  clientId: string;
  redirectUris?: string[];
  webOrigins?: string[];
  attributes?: Record<string, string>;
}

/**
 * The dev realm with `todo-ui` and `todo-cli` pointed at this run's ports, and the one-time-code
 * look-ahead of {@link OTP_LOOK_AHEAD_WINDOW}.
 */
export function patchRealm(webUrl: string, apiUrl: string): unknown {
  const realm = JSON.parse(
    readFileSync(join(repoRoot, 'deploy/keycloak/realm-todo-app.json'), 'utf8'),
  ) as { clients: RealmClient[]; otpPolicyLookAheadWindow?: number };
  realm.otpPolicyLookAheadWindow = OTP_LOOK_AHEAD_WINDOW;
  const backchannel = `${apiUrl}/auth/backchannel-logout`;
  for (const client of realm.clients) {
    if (client.attributes?.['backchannel.logout.url']) {
      client.attributes['backchannel.logout.url'] = backchannel;
    }
    if (client.clientId === 'todo-ui') {
      // The web app, and the API's interactive docs ("Authorize" on /docs).
      client.redirectUris = [`${webUrl}/*`, `${apiUrl}/docs/static/oauth2-redirect.html`];
      client.webOrigins = [webUrl, apiUrl];
      client.attributes = { ...client.attributes, 'post.logout.redirect.uris': `${webUrl}/*` };
    }
  }
  return realm;
}

export interface StackOptions {
  /** API configuration on top of this stack's (e.g. `STEP_UP_ACR`); defaults apply otherwise. */
  apiEnv?: Record<string, string>;
  /** Access token lifetime in seconds; default {@link ACCESS_TOKEN_LIFESPAN}. */
  accessTokenLifespan?: number;
}

/**
 * The dev IdP, the API and the web server on 127.0.0.1. The API's and the web server's ports are
 * picked free up front (the realm names both URLs), so another socket may take one before its
 * server binds it (a client connection's local port comes from the same range): the whole stack
 * is then started again.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(options);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const taken = (error as Error).name === 'PortInUseError' || code === 'EADDRINUSE';
      if (attempt >= 3 || !taken) throw error;
    }
  }
}

async function startStackOnce(options: StackOptions): Promise<Stack> {
  const load = <T>(path: string) => import(pathToFileURL(join(repoRoot, path)).href) as Promise<T>;
  const [{ startIdp }, { loadConfig, startApi }, { startWebServer }] = await Promise.all([
    load<IdpModule>('packages/idp/dist/index.js'),
    load<ApiModule>('packages/api/dist/index.js'),
    load<WebModule>('packages/web/serve.mjs'),
  ]);
  const dataDir = await mkdtemp(join(tmpdir(), 'todo-sso-e2e-'));
  const [webPort, apiPort] = [await freePort(), await freePort()];
  const webUrl = `http://${HOST}:${webPort}`;
  const apiUrl = `http://${HOST}:${apiPort}`;
  const opened: Running[] = [];
  try {
    const idp = await startIdp({
      host: HOST,
      port: 0,
      realm: patchRealm(webUrl, apiUrl),
      dataDir: join(dataDir, 'idp'),
      accessTokenLifespan: options.accessTokenLifespan ?? ACCESS_TOKEN_LIFESPAN,
    });
    opened.push(idp);
    const api = await startApi(
      loadConfig({
        HOST,
        PORT: String(apiPort),
        DATA_DIR: dataDir,
        OIDC_ISSUER: idp.issuer,
        // The dev realm's service account, for the Admin screen's people management.
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        CORS_ORIGINS: webUrl,
        LOG_LEVEL: 'warn',
        ...options.apiEnv,
      }),
    );
    opened.push(api);
    const web = await startWebServer({
      host: HOST,
      port: webPort,
      distDir: join(webRoot, 'dist'),
      config: { issuer: idp.issuer, clientId: 'todo-ui', apiUrl },
    });
    opened.push(web);
    return {
      webUrl: web.url,
      apiUrl,
      issuer: idp.issuer,
      async close() {
        for (const part of opened.reverse()) await part.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const part of opened.reverse()) await part.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
