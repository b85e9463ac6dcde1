/**
 * Text from elsewhere (the API, the identity provider, other people) made safe for a terminal.
 *
 * - C0 controls and DEL: ESC starts escape sequences that rewrite the screen, hide a link (OSC 8)
 *   or retitle the window, CR and BS overwrite what was printed, BEL rings.
 * - C1 controls (U+0080–U+009F): U+009B is CSI, the one-character start of an escape sequence
 *   that xterm obeys in UTF-8, U+0085 (NEL) breaks a line.
 * - Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): a terminal
 *   that implements bidi (VTE, Konsole, mlterm) shows the rest of the line reordered, so a name
 *   can pose as another or move the columns after it. Right-to-left text needs none of them (its
 *   direction comes from its letters), so removing them keeps Arabic or Hebrew names readable.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
const UNSAFE_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;
/** What JSON.stringify leaves as is but a terminal may obey: DEL, C1, bidi controls. */
const UNESCAPED_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One line of someone else's text: each run of unsafe characters (newlines too) is a space. Cut
 * to `max` UTF-16 units with "…", never between the two halves of a character outside the BMP
 * (an emoji): a lone surrogate has no UTF-8 form and reaches the terminal as U+FFFD.
 */
export function inline(text: string, max = 500): string {
  const flat = text.replace(UNSAFE, ' ');
  if (flat.length <= max) return flat;
  const end = max - 1;
  const split = end > 0 && /[\ud800-\udbff]/.test(flat.charAt(end - 1));
  return `${flat.slice(0, split ? end - 1 : end)}…`;
}

/**
 * The last guard before the terminal, for whole messages: newlines and tabs stay (messages have
 * lines), every other unsafe character becomes a space.
 */
export function terminalText(text: string): string {
  return text.replace(UNSAFE_BUT_LINES, ' ');
}

/**
 * JSON for the terminal: JSON.stringify escapes C0 itself; DEL, C1 and bidi controls become
 * `\uXXXX` escapes too, which is the same JSON value for whoever parses it.
 */
export function jsonText(json: string): string {
  return json.replace(
    UNESCAPED_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
