/** Longest rendering of an untrusted value inside an error description. */
const MAX_LENGTH = 64;

/**
 * Renders an untrusted claim or header value for an error description without ever throwing.
 * `String(value)` throws on a JSON object such as `{ "toString": 1 }` (no callable
 * `toString`/`valueOf`), which would turn a refused token into a 500. Strings are shown as is,
 * anything else as JSON; both are cut to a bounded length.
 */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? typeof value;
    } catch {
      text = typeof value;
    }
  }
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}…` : text;
}

/**
 * `text` (a {@link describeValue} rendering) after the indefinite article that reads right in an
 * English sentence: "An ID token", "A Refresh token". Judged by its first letter.
 */
export function withArticle(text: string): string {
  return `${/^[aeiou]/i.test(text) ? 'An' : 'A'} ${text}`;
}
