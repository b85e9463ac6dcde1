import { shownUrl } from '@todo-sso/auth';
import { ConfigError } from './config.js';

/**
 * `DATABASE_URL`, read as a URL (RFC 3986 §3.2.1): a password that holds `/`, `?`, `#` or `@`
 * unencoded (as `openssl rand -base64` makes) ends the user information early, so the URL cannot
 * be read, or silently names another host or database. Never repeated: it holds the password.
 */
export function readDatabaseUrl(value: string): string {
  const fix =
    'percent-encode every character of the user name and password other than letters, digits and - . _ ~ (/ as %2F, @ as %40, # as %23, ? as %3F, : as %3A, % as %25), or use a password of letters and digits only (e.g. openssl rand -hex 32)';
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined) throw new ConfigError('DATABASE_URL', `cannot be read as a URL: ${fix}`);
  if (url.pathname.includes('@') || url.search.includes('@') || url.hash !== '')
    throw new ConfigError(
      'DATABASE_URL',
      `has an @ after the host, or a #: a password with an unencoded / ? or # was cut there; ${fix}`,
    );
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    throw new ConfigError('DATABASE_URL', `has a % not followed by two hex digits: ${fix}`);
  }
  return value;
}

/**
 * Why two entries that look meaningful are refused: `*` was compared with `Origin` as a string
 * like any entry, so it never matched (an install that set it allowed no browser at all); `null`
 * is the `Origin` of sandboxed frames, `file:` pages and redirects across origins (RFC 6454 §7.3,
 * Fetch), which any page can make a request carry.
 */
const NOT_ORIGINS: ReadonlyMap<string, string> = new Map([
  [
    '*',
    `; "*" is not accepted: each entry is compared with the request's Origin as it is, so "*" never allowed any origin; name each browser app's origin`,
  ],
  ['null', `; "null" is not accepted: any page can send it (a sandboxed frame, a file: page)`],
]);

/**
 * `CORS_ORIGINS`: each entry exactly as a browser writes its `Origin` header, the ASCII
 * serialization of an origin (RFC 6454 §6.2, Fetch "CORS protocol"): scheme, host and port, in
 * lower case, without a default port, a path or a trailing slash. The CORS check compares the
 * header with these strings as they are, so `https://todo.example.com/` (a URL, as it is copied
 * from the address bar) would never match: the API would start and every call of the web app
 * would then fail in the browser, with nothing in the API's log to say why.
 */
export function readCorsOrigins(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      throw new ConfigError(
        'CORS_ORIGINS',
        `each entry must be a browser origin such as https://todo.example.com (got "${shownUrl(entry)}")${NOT_ORIGINS.get(entry) ?? ''}`,
      );
    if (url.origin !== entry)
      throw new ConfigError(
        'CORS_ORIGINS',
        `"${shownUrl(entry)}" is not an origin as browsers send it (scheme, host and port only: no path, no trailing slash, lower case, no default port), so it would match no request; write ${url.origin}`,
      );
    return entry;
  });
}
