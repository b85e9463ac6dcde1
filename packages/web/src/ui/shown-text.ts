/**
 * Text the app did not write (an API problem's `detail` or `title`, an identity provider's
 * `error_description`) as the screen shows it: always as text (React escapes markup), without
 * control characters and without the bidirectional embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069) that would make the rest of the sentence read differently
 * from what it says (Unicode UAX #9), on one line, and cut to {@link MAX_SHOWN_CHARACTERS}
 * so a long answer cannot push the page's own words and buttons away. RFC 6749 §4.1.2.1 allows
 * `error_description` printable ASCII only, so nothing a conforming provider sends is lost.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * A title, list name or username (written by someone else) as part of a sentence built
 * as one string: an accessible name (`Delete “…”`) or a notice. Without the bidirectional
 * embeddings, overrides and isolates, one left open at the end of the name cannot reorder the
 * words after it or make the name read as something else (Unicode UTS #55, UAX #9). Where the
 * name is an element of its own the screen isolates it instead (`<bdi>` or `dir="auto"`), and
 * shows it unchanged.
 */
export function withoutBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/** Characters (code points) of someone else's text shown at most, the cut marked with "…". */
export const MAX_SHOWN_CHARACTERS = 300;

export function shownText(text: string, max = MAX_SHOWN_CHARACTERS): string {
  const clean = text.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  const characters = Array.from(clean);
  if (characters.length <= max) return clean;
  return `${characters
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}
