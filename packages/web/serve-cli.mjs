// `npm start -w @todo-sso/web`: the production build alone, configured by the environment
// (WEB_HOST, WEB_PORT, OIDC_ISSUER, OIDC_CLIENT_ID, API_URL; development defaults;
// WEB_CONNECT_ORIGINS, a comma list, for a provider whose token endpoint is on another origin).
// A value it cannot use stops it before it listens, with one line naming the variable (exit 78,
// EX_CONFIG, as the API); an empty variable counts as unset. With NODE_ENV=production the
// development defaults of OIDC_ISSUER, OIDC_CLIENT_ID and API_URL are not taken: a server
// that silently signed people in at http://localhost:8080 and called http://localhost:8000
// would only fail in each person's browser (the nginx image refuses them the same way).
import { fileURLToPath } from 'node:url';
import { startWebServer } from './serve.mjs';

/** A variable's value, or undefined when unset or empty. */
function read(name) {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function fail(message) {
  process.stderr.write(`web: configuration error: ${message}\n`);
  process.exit(78);
}

const isHttpUrl = (value) =>
  URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);

/**
 * A value as a message repeats it: without a URL's query or fragment (an API key, a token) and
 * with its user information (a password) replaced by `…`, since this line reaches logs.
 */
function shown(value) {
  const cut = value.search(/[?#]/);
  const head = cut === -1 ? value : `${value.slice(0, cut + 1)}…`;
  const at = head.lastIndexOf('@');
  if (at === -1) return head;
  const scheme = head.indexOf('://');
  const start = scheme !== -1 && scheme < at ? scheme + 3 : 0;
  return `${head.slice(0, start)}…${head.slice(at)}`;
}

const production = process.env.NODE_ENV === 'production';

/** A variable's value, else its development default; with NODE_ENV=production it must be set. */
function required(name, fallback) {
  const value = read(name);
  if (value !== undefined) return value;
  if (production)
    fail(`${name} must be set with NODE_ENV=production (the development default is "${fallback}")`);
  return fallback;
}

function url(name, fallback) {
  const value = required(name, fallback);
  if (!isHttpUrl(value)) fail(`${name} must be an http:// or https:// URL, got "${shown(value)}"`);
  // The app's configuration is sent to every browser that loads it: a password in one of its
  // URLs would be published (and fetch refuses a URL with credentials anyway).
  const { username, password } = new URL(value);
  if (username !== '' || password !== '')
    fail(`${name} must not contain a user name or password, got "${shown(value)}"`);
  return value;
}

function port() {
  const name = read('WEB_PORT') !== undefined ? 'WEB_PORT' : 'PORT';
  const value = read(name);
  if (value === undefined) return 3000;
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535)
    fail(`${name} must be a port number from 0 to 65535, got "${value}"`);
  return Number(value);
}

const connectOrigins = (read('WEB_CONNECT_ORIGINS') ?? '')
  .split(',')
  .map((origin) => origin.trim())
  .filter(Boolean);
for (const origin of connectOrigins)
  if (!isHttpUrl(origin))
    fail(
      `WEB_CONNECT_ORIGINS must be a comma list of http:// or https:// origins, got "${shown(origin)}"`,
    );

const web = await startWebServer({
  host: read('WEB_HOST') ?? 'localhost',
  port: port(),
  distDir: fileURLToPath(new URL('./dist', import.meta.url)),
  config: {
    issuer: url('OIDC_ISSUER', 'http://localhost:8080/realms/todo-app'),
    clientId: required('OIDC_CLIENT_ID', 'todo-ui'),
    apiUrl: url('API_URL', 'http://localhost:8000'),
  },
  connectOrigins,
});
console.log(`web app on ${web.url}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void web.close().then(() => process.exit(0)));
}
