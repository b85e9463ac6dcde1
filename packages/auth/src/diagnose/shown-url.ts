/** A character of a URL scheme after its first letter (RFC 3986 §3.1), and a letter. */
const SCHEME_CHAR = /[a-z0-9+.-]/i;
const LETTER = /[a-z]/i;
const WORD_CHAR = /\w/;
const WHITE_SPACE = /\s/;

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
const TRAILING_PUNCTUATION = '.,;:!?)]\'"';

/** A URL found in running text, shown with the punctuation that follows it kept. */
function shownInText(url: string): string {
  let end = url.length;
  while (end > 0 && TRAILING_PUNCTUATION.includes(url.charAt(end - 1))) end--;
  return `${shownUrl(url.slice(0, end))}${url.slice(end)}`;
}

/**
 * `text` with each URL in it (a word starting with a letter, scheme characters, `://`, then
 * everything up to the next white space) as {@link shownInText} shows it. Each `://` is found
 * once and its scheme read back from it, so the work grows with the text's length: the regular
 * expressions this replaces (`\b[a-z][a-z0-9+.-]*:\/\/\S+` and `[.,;:!?)\]'"]+$`) tried every
 * word and every run of punctuation anew, and a provider's answer of 40,000 such characters
 * took seconds to show, one of 512 KiB minutes.
 */
function urlsShown(text: string): string {
  let shown = '';
  let done = 0;
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    let start = at;
    while (start > done && SCHEME_CHAR.test(text.charAt(start - 1))) start--;
    // The scheme starts at its first letter that begins a word (`\b`).
    while (
      start < at &&
      !(LETTER.test(text.charAt(start)) && (start === 0 || !WORD_CHAR.test(text.charAt(start - 1))))
    )
      start++;
    let end = at + 3;
    while (end < text.length && !WHITE_SPACE.test(text.charAt(end))) end++;
    if (start === at || end === at + 3) continue;
    shown += text.slice(done, start) + shownInText(text.slice(start, end));
    done = end;
    at = end - 3;
  }
  return shown + text.slice(done);
}

/** `value` with every URL in every string of it as {@link shownUrl} shows it. */
export function withoutUrlSecrets<T>(value: T): T {
  if (typeof value === 'string') return urlsShown(value) as T;
  if (Array.isArray(value)) return value.map(withoutUrlSecrets) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([name, inner]) => [name, withoutUrlSecrets(inner)]),
    ) as T;
  return value;
}
