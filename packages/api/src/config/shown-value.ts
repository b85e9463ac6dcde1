/**
 * How a configuration message may repeat a URL someone set: its user information (a password),
 * query (an API key, a token: `?api_key=…`) and fragment are never repeated, since these
 * messages reach stderr, logs and `todo doctor` (also as `--json`). Plain text, not a parsed
 * URL, so that a malformed value is shown as it was typed.
 *
 * @example shownUrl('http://u:pw@sso.example.com/realms/a?token=x') // 'http://…@sso.example.com/realms/a?…'
 */
export function shownUrl(value: string): string {
  const cut = value.search(/[?#]/);
  const head = cut === -1 ? value : `${value.slice(0, cut + 1)}…`;
  const at = head.lastIndexOf('@');
  if (at === -1) return head;
  const scheme = head.indexOf('://');
  const start = scheme !== -1 && scheme < at ? scheme + 3 : 0;
  return `${head.slice(0, start)}…${head.slice(at)}`;
}
