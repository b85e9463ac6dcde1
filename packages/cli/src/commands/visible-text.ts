import { CliError } from '../errors.js';

/**
 * Text that shows nothing: white space (Unicode's White_Space, U+3000 and U+00A0 included),
 * controls (Cc), format characters (Cf: U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER, U+FEFF…)
 * and the other default-ignorable code points (the Hangul fillers U+115F, U+1160, U+3164, U+FFA0,
 * variation selectors), or nothing at all.
 */
const NOTHING_VISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]*$/u;

/**
 * `value` of the argument `name`, refused as a usage error (exit 2) before any request when it
 * would show nothing: a todo's title or a list's name of spaces or invisible characters alone is
 * a typing slip the terminal can see. The API stays the judge of everything else in the text.
 */
export function visibleArgument(name: string, value: string, usage: string): string {
  if (NOTHING_VISIBLE.test(value))
    throw new CliError(
      'usage',
      `${name} must contain a visible character, not only spaces or invisible characters\nusage: ${usage}`,
    );
  return value;
}
