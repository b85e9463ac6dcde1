#!/usr/bin/env node
// `npm start`: the whole stack on a laptop in one process — the development identity provider
// (8080), the API on embedded SQLite (8000) and the web app's production build (3000) — with
// data kept under .data/ across restarts. Ctrl-C / SIGTERM stops all three cleanly.
//
// Memory: loading three servers leaves tens of megabytes of objects that live as long as the
// process (modules, routes, compiled serialisers). V8 doubles its young generation after
// scavenges that see many survivors, so by the time the servers listen it would have grown
// towards its maximum (`npm start` runs node with `--max-semi-space-size=64`, as the API's own
// start does: docs/architecture.md, "Memory and the collector"), and an idle process never
// collects again to give it back: tens of megabytes of resident memory kept for nothing. So while the servers load, the young generation keeps its
// initial size and what survives is promoted, as it would be anyway; once the servers are up,
// V8's default growth is restored, and a loaded stack grows its young generation as usual. V8
// reads the growth factor each time it considers growing the young generation.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();

/** EX_CONFIG, as the API's own server exits on a configuration error. */
const EX_CONFIG = 78;

/** A configuration error: one line naming the variable, before anything starts. */
function configError(message) {
  console.error(`✗ Configuration error: ${message}`);
  process.exit(EX_CONFIG);
}

/** A port from the environment: a whole number from 1 to 65535 (the URLs printed carry it). */
function portFromEnv(variable, fallback) {
  const value = process.env[variable]?.trim();
  if (value === undefined || value === '') return fallback;
  const port = /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65535))
    configError(`${variable} must be a port number from 1 to 65535, got "${value}"`);
  return port;
}

const ports = {
  idp: portFromEnv('IDP_PORT', 8080),
  api: portFromEnv('API_PORT', 8000),
  web: portFromEnv('WEB_PORT', 3000),
};
// Three servers, three ports: on one port, the second server would fail after the first started.
const portNames = [
  ['IDP_PORT', ports.idp],
  ['API_PORT', ports.api],
  ['WEB_PORT', ports.web],
];
for (const [i, [name, port]] of portNames.entries())
  for (const [other, otherPort] of portNames.slice(i + 1))
    if (port === otherPort)
      configError(
        `${name} and ${other} are both ${port} (unset, they are 8080, 8000 and 3000): the identity provider, the API and the web app each need a port of their own`,
      );
const dataDir = process.env.DATA_DIR ?? join(root, '.data');

/** Newest modification time below a folder (sources), or 0 when it does not exist. */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const time = entry.isDirectory() ? newest(path) : statSync(path).mtimeMs;
    if (time > latest) latest = time;
  }
  return latest;
}

/** Rebuilds whatever is older than its sources, so `npm start` always runs the code on disk. */
function buildIfStale() {
  const stale = ['auth', 'idp', 'api'].some((name) => {
    // tsc -b rewrites its build info on every build, but leaves unchanged outputs alone.
    const marker = join(root, 'packages', name, 'dist', '.tsbuildinfo');
    return (
      !existsSync(marker) || newest(join(root, 'packages', name, 'src')) > statSync(marker).mtimeMs
    );
  });
  if (stale) {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    step('Building the server packages (tsc -b)', process.execPath, [tsc, '-b']);
  }
  const webIndex = join(root, 'packages/web/dist/index.html');
  const webSources = Math.max(
    newest(join(root, 'packages/web/src')),
    newest(join(root, 'packages/web/public')),
    statSync(join(root, 'packages/web/index.html')).mtimeMs,
  );
  if (!existsSync(webIndex) || webSources > statSync(webIndex).mtimeMs) {
    step('Building the web app (vite build)', 'npm', [
      'run',
      '--silent',
      'build',
      '-w',
      '@todo-sso/web',
    ]);
  }
}

function step(label, command, args) {
  console.log(`${label}…`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`✗ ${label} failed; fix the error above and run npm start again.`);
    process.exit(1);
  }
}

/** Resolves when the port can be bound on every interface; exits with one clear line if not. */
function ensureFree(port, what, variable) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error) => {
      const reason =
        error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be opened (${error.code})`;
      console.error(
        `✗ Port ${port} for the ${what} ${reason}. Stop whatever holds it, or choose another port with ${variable}=<port>.`,
      );
      process.exit(1);
    });
    probe.listen(port, () => probe.close(resolve));
  });
}

const load = (path) => import(pathToFileURL(join(root, path)).href);

/** V8's young generation: fixed while the servers load, grown by its default factor after. */
const youngGeneration = {
  hold: () => setFlagsFromString('--semi-space-growth-factor=1'),
  release: () => setFlagsFromString('--semi-space-growth-factor=2'),
};

buildIfStale();
youngGeneration.hold();
await ensureFree(ports.idp, 'development identity provider', 'IDP_PORT');
await ensureFree(ports.api, 'API', 'API_PORT');
await ensureFree(ports.web, 'web app', 'WEB_PORT');

const loading = Promise.all([
  load('packages/idp/dist/index.js'),
  load('packages/api/dist/index.js'),
  load('packages/web/serve.mjs'),
]);

const idpUrl = `http://localhost:${ports.idp}`;
const webUrl = `http://localhost:${ports.web}`;
const apiUrl = `http://localhost:${ports.api}`;

/** `OIDC_ISSUERS` set (blank counts as unset, as the API reads it): its entries name the issuers. */
const issuerList = (process.env.OIDC_ISSUERS ?? '').trim() !== '';

/** The API's environment: the caller's, with the stack's ports, data and dev-IdP defaults. */
const apiEnv = (issuer) => ({
  ...process.env,
  // Loopback, as the IdP and the web app: a laptop's stack (demo users whose password is their
  // name, /metrics and /docs without a token) is not offered to the network it sits on. The
  // API's own default (0.0.0.0) is for containers; HOST still chooses.
  HOST: process.env.HOST ?? 'localhost',
  PORT: String(ports.api),
  DATA_DIR: dataDir,
  CORS_ORIGINS: process.env.CORS_ORIGINS ?? webUrl,
  // The dev IdP and its dev-realm service account (the Admin screen manages people through it),
  // unless the caller names the issuers: OIDC_ISSUERS replaces OIDC_ISSUER and its client
  // variables, which the API refuses beside it (each entry carries its own clientId/secret).
  ...(!issuerList && { OIDC_ISSUER: process.env.OIDC_ISSUER ?? issuer }),
  ...(!issuerList &&
    process.env.OIDC_ISSUER === undefined && {
      OIDC_CLIENT_ID: process.env.OIDC_CLIENT_ID ?? 'todo-api',
      OIDC_CLIENT_SECRET: process.env.OIDC_CLIENT_SECRET ?? 'todo-api-secret',
    }),
});

// The API's configuration is checked before anything starts or is written (the IdP's keys, the
// database): a bad value stops npm start with the API's own message and exit code. That includes
// the API server's refusal of its embedded SQLite file when an issuer is not on this machine
// and DATABASE_URL is unset (`npm run api` and `todo doctor` give the same answer).
const { loadConfig, startApi, embeddedDatabaseRefusal, misspeltVariables, ConfigError } =
  await load('packages/api/dist/index.js');
try {
  const config = loadConfig(apiEnv(`${idpUrl}/realms/todo-app`));
  const refusal = embeddedDatabaseRefusal(config, process.env);
  if (refusal !== undefined) throw new ConfigError('DATABASE_URL', refusal);
} catch (error) {
  if (error?.code !== 'ERR_API_CONFIG') throw error;
  configError(error.message);
}

// The data folder, made now (0700, as the IdP makes it for its keys): one that cannot be made (a
// file on its path, a folder this user may not write) is said in one line naming DATA_DIR,
// rather than as the IdP's key file error.
try {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  accessSync(dataDir, constants.W_OK);
} catch (error) {
  console.error(
    `✗ DATA_DIR ${dataDir} cannot be used (${error.message}): set DATA_DIR to a directory this user can write.`,
  );
  process.exit(1);
}

// A first start generates the identity provider's keys (two RSA keys): begun now, on the thread
// pool, they are made while the servers load. startIdp joins this load and reports any failure.
const { loadKeys } = await load('packages/idp/dist/tokens/keys.js');
loadKeys(join(dataDir, 'idp')).catch(() => {});

const [{ DEFAULT_REALM_FILE, startIdp }, , { startWebServer }] = await loading;

/**
 * The dev realm, its clients' URLs moved to the ports chosen: the file names the API on
 * http://localhost:8000 (back-channel logout, the docs' redirect URI) and the web app on
 * http://localhost:3000 (redirect URIs, web origins). Left as they are, moved ports would make the
 * IdP refuse the web app's sign-in (an unregistered redirect_uri, RFC 6749 §3.1.2.2) and send
 * logout tokens where no API listens, so a signed-out session's tokens would stay accepted.
 */
function devRealm() {
  const realm = JSON.parse(readFileSync(DEFAULT_REALM_FILE, 'utf8'));
  const moved = [
    ['http://localhost:8000', apiUrl],
    ['http://localhost:3000', webUrl],
  ];
  const move = (value) => {
    if (typeof value === 'string') {
      // Each URL moves once, to its own server's port: replaced one pair after the other, the
      // API's URLs would move back to the web app's port when API_PORT is 3000.
      const pair = moved.find(([from]) => value === from || value.startsWith(`${from}/`));
      return pair ? pair[1] + value.slice(pair[0].length) : value;
    }
    if (Array.isArray(value)) return value.map(move);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, move(v)]));
    return value;
  };
  realm.clients = (realm.clients ?? []).map(move);
  return realm;
}

const idp = await startIdp({
  port: ports.idp,
  dataDir: join(dataDir, 'idp'),
  publicUrl: idpUrl,
  realm: devRealm(),
});
const apiConfig = loadConfig(apiEnv(idp.issuer));
const api = await startApi(apiConfig);
// The web app signs people in at the development identity provider: an API that does not trust
// it (OIDC_ISSUER naming another provider, or OIDC_ISSUERS without it) refuses every call the
// web app makes with 401. Said once, before the ready banner, with what to change.
const untrusting = !apiConfig.issuers.some(({ issuer }) => issuer === idp.issuer);
const web = await startWebServer({
  host: process.env.WEB_HOST ?? 'localhost',
  port: ports.web,
  distDir: join(root, 'packages/web/dist'),
  config: { issuer: idp.issuer, clientId: 'todo-ui', apiUrl },
});

youngGeneration.release();
// A misspelt variable (TRUSTED_PROXIES for TRUST_PROXY) is read as unset: said as the API says it.
for (const warning of misspeltVariables(process.env)) console.warn(`⚠ ${warning}`);
if (untrusting)
  console.warn(
    `⚠ The web app signs in at ${idp.issuer}, which the API does not trust (it trusts ${apiConfig.issuers.map(({ issuer }) => issuer).join(', ')}): ` +
      `every call the web app makes will be refused (401). ${
        issuerList
          ? 'Add that issuer to OIDC_ISSUERS, or unset OIDC_ISSUERS.'
          : 'Unset OIDC_ISSUER, or replace it with OIDC_ISSUERS listing both issuers.'
      }`,
  );
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`
todo-sso is ready in ${seconds}s

  Web app        ${webUrl}
  API            ${apiUrl}   (docs: ${apiUrl}/docs)
  Identity (dev) ${idp.issuer}

  Demo users (password = username; development realm only):
    alice     user                        department engineering
    bob       user                        department sales
    carol     user + reports:generate     department engineering
    admin     admin                       —
    testuser  user                        —

  Admin work asks admin for a one-time code too (step-up): the development login page shows
  it, or add the key MRSXM33ONR4WCZDNNFXG65DQNNSXSMJS to an authenticator app (docs/step-up.md).

  Data is kept in ${dataDir}. Press Ctrl-C to stop.
`);

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping web app, API and identity provider…`);
  const force = setTimeout(() => {
    console.error('Some server did not stop within 10 s; exiting anyway.');
    process.exit(1);
  }, 10_000);
  force.unref();
  await web.close();
  await api.close();
  await idp.close();
  console.log('Stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
