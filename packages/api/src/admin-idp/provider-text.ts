/**
 * Text the identity provider chose (its error message), as one line of at most `max` code
 * points, before it reaches an answer, a log, a stored row or the audit log. Control characters
 * (C0 with tab and line breaks, DEL, C1) and unpaired surrogates become spaces: they could
 * forge a line or drive a terminal that shows them (ESC and U+009B start an escape sequence),
 * and PostgreSQL refuses to store U+0000 at all. What is cut ends with an ellipsis.
 */
export function oneLine(text: string, max: number): string {
  let line = '';
  for (const char of text) {
    const c = char.codePointAt(0) ?? 0;
    const control = c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xdfff);
    line += control ? ' ' : char;
  }
  const points = Array.from(line);
  return points.length <= max ? line : `${points.slice(0, max - 1).join('')}…`;
}
