/**
 * Whether a JOSE header `typ` names the media type `application/<subtype>` (RFC 7515 §4.1.9):
 * media types compare case-insensitively (RFC 2045 §5.1), and a value without `/` stands for
 * `application/` + the value, so `dpop+jwt`, `DPoP+JWT` and `application/dpop+jwt` are one type.
 * Nothing else matches: no parameters, no other top-level type, no surrounding space.
 *
 * @param subtype lower case, without `application/` (`dpop+jwt`, `at+jwt`, `jwt`).
 */
export function typNames(typ: unknown, subtype: string): boolean {
  if (typeof typ !== 'string') return false;
  const lower = typ.toLowerCase();
  return lower === subtype || lower === `application/${subtype}`;
}
