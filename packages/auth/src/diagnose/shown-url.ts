/** A URL in running text: a scheme, `://`, then everything up to the next white space. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;

/**
 * A URL as a diagnosis, a configuration message or a log line shows it: its user information (a password) and its query and fragment
 * (an API key, a token) are never repeated, since the doctor's output, text or JSON, reaches
 * terminals, tickets and CI logs. Plain text, so a malformed URL is shown as it was written.
 *
 * The user information is everything from the scheme's `//` to the last `@`, wherever that is:
 * a password written with an unencoded `/`, `?` or `#` ends the authority there for a URL parser
 * (RFC 3986 §3.2: the WHATWG parser would take the rest for a path, query or fragment, and a
 * split at the first `?` would show the text before it), yet all of it is the secret. An `@` in
 * a path or query hides the host too: more is masked, never part of a password shown.
 *
 * @example shownUrl('http://u:pw@sso.example/realms/a?token=x') // 'http://…@sso.example/realms/a?…'
 */
export function shownUrl(value: string): string {
  const at = value.lastIndexOf('@');
  const scheme = value.indexOf('://');
  const start = scheme !== -1 && scheme < at ? scheme + 3 : 0;
  const rest = at === -1 ? value : value.slice(at);
  const cut = rest.search(/[?#]/);
  const shown = cut === -1 ? rest : `${rest.slice(0, cut + 1)}…`;
  return at === -1 ? shown : `${value.slice(0, start)}…${shown}`;
}

/** Punctuation that ends a sentence or clause after a URL in running text, not part of it. */
const TRAILING_PUNCTUATION = /[.,;:!?)\]'"]+$/;

/** A URL found in running text, shown with the punctuation that follows it kept. */
function shownInText(url: string): string {
  const tail = TRAILING_PUNCTUATION.exec(url)?.[0] ?? '';
  return `${shownUrl(url.slice(0, url.length - tail.length))}${tail}`;
}

/** `value` with every URL in every string of it as {@link shownUrl} shows it. */
export function withoutUrlSecrets<T>(value: T): T {
  if (typeof value === 'string') return value.replace(URL_IN_TEXT, shownInText) as T;
  if (Array.isArray(value)) return value.map(withoutUrlSecrets) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([name, inner]) => [name, withoutUrlSecrets(inner)]),
    ) as T;
  return value;
}
