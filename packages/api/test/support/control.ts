/**
 * Whether `text` holds C0, DEL, C1 or an unpaired surrogate: what a terminal or a log line must
 * not receive. Nothing (null, undefined) holds none.
 */
export function hasControl(text: string | null | undefined): boolean {
  return Array.from(text ?? '').some((char) => {
    const c = char.codePointAt(0) ?? 0;
    return c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xdfff);
  });
}
