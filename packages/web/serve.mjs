// The production web server: serves the Vite build with an SPA fallback, the runtime
// configuration at /config.json, and the headers a single-page app handling tokens should
// have. node:http only, so `npm start` needs nothing beyond Node.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream';

/**
 * @typedef {object} WebConfig
 * @property {string} issuer   OpenID Connect issuer the app signs in with
 * @property {string} clientId public client id at that issuer
 * @property {string} apiUrl   base URL of the todo API
 */

/**
 * @typedef {object} WebServerOptions
 * @property {string} [host]    interface to bind (default `127.0.0.1`)
 * @property {number} [port]    port (default 3000; 0 picks a free one)
 * @property {string} distDir   the `vite build` output folder
 * @property {WebConfig} config served as `/config.json`
 * @property {string[]} [connectOrigins] further origins the app may call, for a provider whose
 *   token endpoint is not on the issuer's origin (Google, Amazon Cognito); URLs are reduced
 *   to their origin
 */

/**
 * @typedef {object} WebServer
 * @property {string} url            e.g. `http://127.0.0.1:3000`
 * @property {() => Promise<void>} close
 */

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Content-Security-Policy for the app: scripts and styles from this origin only; network
 * requests to this origin, the issuer (discovery, token endpoint), the API and
 * `connectOrigins`; no frames, no plugins, forms only to the issuer (sign-out may post there);
 * no HTML or script from strings (Trusted Types).
 * @param {WebConfig} config
 * @param {string[]} [connectOrigins] origins checked by `checkOrigins`
 */
export function contentSecurityPolicy(config, connectOrigins = []) {
  const issuer = new URL(config.issuer).origin;
  const api = new URL(config.apiUrl).origin;
  const connect = [...new Set(["'self'", issuer, api, ...connectOrigins])].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React applies `style` props through the CSSOM, which CSP allows without 'unsafe-inline'.
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    `form-action 'self' ${issuer}`,
    "frame-ancestors 'none'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    // Trusted Types (W3C Trusted Types §4): an HTML or script sink (innerHTML,
    // insertAdjacentHTML, a script's text) throws when given a string, and no policy may be
    // created to turn one into HTML. React writes text nodes and attributes, never HTML, so
    // an injection has no sink left to reach.
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/** @param {WebConfig} config @param {string[]} connectOrigins */
function securityHeaders(config, connectOrigins) {
  return {
    'Content-Security-Policy': contentSecurityPolicy(config, connectOrigins),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // The authorization code must never leak to other sites through Referer (RFC 9700 §4.2.4).
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  };
}

/** @param {unknown} config @returns {WebConfig} */
function checkConfig(config) {
  const c = /** @type {Partial<WebConfig>} */ (config ?? {});
  for (const key of /** @type {const} */ (['issuer', 'clientId', 'apiUrl'])) {
    if (typeof c[key] !== 'string' || !c[key]) {
      throw new TypeError(`startWebServer: config.${key} must be a non-empty string`);
    }
  }
  new URL(/** @type {string} */ (c.issuer));
  new URL(/** @type {string} */ (c.apiUrl));
  return Object.freeze({
    issuer: /** @type {string} */ (c.issuer),
    clientId: /** @type {string} */ (c.clientId),
    apiUrl: /** @type {string} */ (c.apiUrl),
  });
}

/**
 * The origins of `urls`, each an http(s) URL: anything else (a CSP keyword, a wildcard) would
 * widen the policy beyond one named host, so it is refused at the call.
 * @param {unknown} urls @returns {string[]}
 */
function checkOrigins(urls) {
  if (urls === undefined) return [];
  if (!Array.isArray(urls)) throw new TypeError('startWebServer: connectOrigins must be an array');
  return urls.map((value) => {
    let url;
    try {
      url = new URL(String(value));
    } catch {
      throw new TypeError(`startWebServer: connectOrigins entry ${value} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TypeError(`startWebServer: connectOrigins entry ${value} is not http(s)`);
    }
    return url.origin;
  });
}

/**
 * Starts the web server.
 *
 * @example
 * const web = await startWebServer({ port: 3000, distDir: 'packages/web/dist',
 *   config: { issuer: 'http://localhost:8080/realms/todo-app', clientId: 'todo-ui',
 *             apiUrl: 'http://localhost:8000' } });
 * // … later
 * await web.close();
 * @param {WebServerOptions} options
 * @returns {Promise<WebServer>}
 */
export async function startWebServer({
  host = '127.0.0.1',
  port = 3000,
  distDir,
  config,
  connectOrigins,
}) {
  const settings = checkConfig(config);
  const extraOrigins = checkOrigins(connectOrigins);
  const root = resolve(distDir);
  const index = join(root, 'index.html');
  const indexStat = await stat(index).catch(() => null);
  if (!indexStat?.isFile()) {
    throw new TypeError(`startWebServer: ${index} not found; run the web build first`);
  }
  const baseHeaders = securityHeaders(settings, extraOrigins);
  const httpsHeaders = {
    ...baseHeaders,
    // RFC 6797 §7.2: HSTS goes over secure transport only (browsers ignore it over http, §8.1),
    // so it is sent when the TLS-terminating proxy in front says the request came over https.
    'Strict-Transport-Security': 'max-age=31536000',
  };
  /** @param {import('node:http').IncomingMessage} req */
  const headersFor = (req) => {
    const proto = String(req.headers['x-forwarded-proto'] ?? '')
      .split(',')[0]
      ?.trim();
    return proto === 'https' ? httpsHeaders : baseHeaders;
  };
  const configBody = JSON.stringify(settings);

  /**
   * @param {import('node:http').ServerResponse} res
   * @param {string} file
   * @param {import('node:fs').Stats} info
   * @param {boolean} head
   * @param {Record<string, string>} headers
   */
  const sendFile = (res, file, info, head, headers) => {
    const hashed = file.startsWith(join(root, 'assets') + sep);
    res.writeHead(200, {
      ...headers,
      'Content-Type':
        TYPES[/** @type {keyof TYPES} */ (extname(file))] ?? 'application/octet-stream',
      'Content-Length': info.size,
      // Vite fingerprints assets: cache them for a year. index.html is never stored (nor kept
      // in the back/forward cache after sign-out); other files (favicon) are revalidated.
      'Cache-Control': hashed
        ? 'public, max-age=31536000, immutable'
        : extname(file) === '.html'
          ? 'no-store'
          : 'no-cache',
    });
    if (head) res.end();
    // A read error after the headers went out (disk error, file removed since `stat`) can only
    // cut this response short; `pipeline` destroys both streams instead of leaving an
    // unhandled 'error' event to crash the server.
    else pipeline(createReadStream(file), res, () => {});
  };

  const server = createServer(async (req, res) => {
    const headers = headersFor(req);
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
      res.end('Method Not Allowed');
      return;
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, { ...headers, 'Content-Type': 'text/plain' });
      res.end('Bad Request');
      return;
    }
    if (pathname === '/config.json') {
      res.writeHead(200, {
        ...headers,
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
      });
      res.end(head ? undefined : configBody);
      return;
    }
    // Resolve inside dist only: `..` and NUL never escape it.
    const file = normalize(join(root, pathname));
    if (pathname.includes('\0') || (file !== root && !file.startsWith(root + sep))) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    const info = await stat(file).catch(() => null);
    if (info?.isFile()) return sendFile(res, file, info, head, headers);
    // A missing asset is a 404; any other path is a route of the app (SPA fallback).
    if (pathname.startsWith('/assets/') || extname(pathname)) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
      res.end('Not Found');
      return;
    }
    const indexInfo = await stat(index).catch(() => null);
    if (!indexInfo) {
      res.writeHead(503, { ...headers, 'Content-Type': 'text/plain' });
      res.end('Web build missing');
      return;
    }
    sendFile(res, index, indexInfo, head, headers);
  });

  await new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => {
      server.off('error', rejectListen);
      resolveListen(undefined);
    });
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === 'localhost' ? 'localhost' : shownHost}:${address.port}`;
  return {
    url,
    close: () =>
      new Promise((resolveClose, rejectClose) => {
        server.close((error) => (error ? rejectClose(error) : resolveClose(undefined)));
        server.closeAllConnections();
      }),
  };
}
