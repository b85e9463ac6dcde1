// The servers under test, each in its own child process: the API (`node packages/api/dist/
// server.js`, configured by the environment exactly as in production) and the dev IdP.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, LOAD_CORE, ROOT, SERVER_CORE, spawnNode, waitForHttp } from './proc.mjs';

/**
 * The node flags the API runs with in production: those of `npm start` in `packages/api` of
 * `root` (`node <flags> dist/server.js`; the container image's CMD carries the same, see
 * tests/deploy), so each build is measured with its own.
 */
export function apiNodeFlags(root = ROOT) {
  const { scripts } = JSON.parse(readFileSync(join(root, 'packages/api/package.json'), 'utf8'));
  const words = (scripts?.start ?? '').split(/\s+/).filter(Boolean);
  if (words[0] !== 'node') return [];
  return words.slice(1).filter((w) => w.startsWith('--'));
}

/**
 * One build of a side-by-side tool, from `name=ROOT[:ENV=V,…][;--flag …]`: ROOT a checkout with
 * `npm run build` done, ENV=V extra environment for its API process, --flag node flags after the
 * build's own production flags.
 */
export function parseBuild(spec) {
  const eq = spec.indexOf('=');
  const [where, flags = ''] = spec.slice(eq + 1).split(';');
  const [root, envList = ''] = where.split(':');
  const env = Object.fromEntries(
    envList
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  return { name: spec.slice(0, eq), root, env, nodeOptions: flags.split(' ').filter(Boolean) };
}

/**
 * Starts the API pinned to the server core, with its production node flags ({@link apiNodeFlags}). The rate limit (600/min per subject by default)
 * is lifted, since a benchmark is one subject sending thousands of requests a second. `root`
 * is the checkout whose build runs (another build for side-by-side tools), `nodeOptions` extra
 * flags for its node (e.g. `--perf-basic-prof`).
 */
export async function startApiProcess({
  root = ROOT,
  nodeOptions: extraNodeOptions = [],
  issuer,
  databaseUrl,
  dataDir,
  verify = 'jwt',
  clientId,
  clientSecret,
  logLevel = 'info',
  cpuProfDir,
  cpuProfInterval,
  env: extraEnv = {},
}) {
  const port = await freePort();
  const env = {
    HOST: '127.0.0.1',
    PORT: String(port),
    OIDC_ISSUER: issuer,
    OIDC_AUDIENCE: 'todo-api',
    OIDC_PROVIDER: 'keycloak',
    OIDC_VERIFY: verify,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl ?? '',
    LOG_LEVEL: logLevel,
    RATE_LIMIT_PER_MINUTE: '999999999',
    OIDC_CLIENT_ID: clientId ?? '',
    OIDC_CLIENT_SECRET: clientSecret ?? '',
    NODE_ENV: 'production',
    ...extraEnv,
  };
  const production = apiNodeFlags(root);
  const nodeOptions = cpuProfDir
    ? [...production, '--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, ...extraNodeOptions]
    : [...production, ...extraNodeOptions];
  if (cpuProfDir && cpuProfInterval) nodeOptions.push(`--cpu-prof-interval=${cpuProfInterval}`);
  const proc = spawnNode([join(root, 'packages/api/dist/server.js')], {
    env,
    cwd: root,
    core: SERVER_CORE,
    nodeOptions,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, proc);
  return { url, proc, pid: proc.pid, stop: () => proc.stop('SIGINT') };
}

/** Starts the dev IdP (Keycloak profile) on the load-generator core. */
export async function startIdpProcess({ dataDir }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnNode([join(ROOT, 'bench/lib/idp-child.mjs')], {
    env: { BENCH_IDP_PORT: String(port), BENCH_IDP_DATA: dataDir },
    core: LOAD_CORE,
  });
  const issuer = `${url}/realms/todo-app`;
  await waitForHttp(`${issuer}/.well-known/openid-configuration`, proc);
  return { url, issuer, proc, stop: () => proc.stop('SIGTERM') };
}

/** Password grant (RFC 6749 §4.3) on the public `todo-cli` client: a real IdP-issued token. */
export async function passwordGrant(issuer, username) {
  const res = await fetch(`${issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'todo-cli',
      username,
      password: username,
    }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`password grant failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/**
 * Starts the Node anchor (Express + express-oauth2-jwt-bearer, `anchor-server.mjs`) pinned to
 * the server core like the API, trusting the same issuer for the same audience.
 */
export async function startAnchorProcess({ issuer, audience = 'todo-api' }) {
  const port = await freePort();
  const proc = spawnNode([join(ROOT, 'bench/lib/anchor-server.mjs')], {
    env: {
      ANCHOR_PORT: String(port),
      ANCHOR_ISSUER: issuer,
      ANCHOR_AUDIENCE: audience,
      NODE_ENV: 'production',
    },
    core: SERVER_CORE,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, proc);
  return { url, proc, pid: proc.pid, stop: () => proc.stop('SIGTERM') };
}
