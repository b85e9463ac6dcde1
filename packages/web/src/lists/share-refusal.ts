import { isApiError } from '../api/errors.js';
import { shownText } from '../ui/shown-text.js';

/**
 * Characters of the API's `detail` a share refusal shows at most: its longest 404 (how a person
 * becomes known, and that a person of another identity provider is named only by an email their
 * provider verified: about 360 characters) with the handle it repeats (at most 320, the path
 * parameter's `maxLength`), whole. Past it the cut is marked as `shownText` marks it.
 */
const MAX_REFUSAL_CHARACTERS = 700;

/**
 * What a refused share says. A 404 in the API's own words when its RFC 9457 problem detail
 * (§3.1.4) has a `detail`, which says why nobody answers to `who` (a person becomes known once
 * they used their todos; another issuer's people are named by a verified email only,
 * `packages/api/src/lists/service.ts` `onePerson`), as text (React escapes markup), bounded and
 * without control characters; else the app's own words. Any other refusal: the error's message.
 */
export function shareRefusal(error: unknown, who: string): string {
  if (!isApiError(error)) return 'The list was not shared.';
  if (error.code !== 'not_found') return error.message;
  const detail = error.problem?.detail;
  const said = typeof detail === 'string' ? shownText(detail, MAX_REFUSAL_CHARACTERS) : '';
  return (
    said ||
    `Nobody known as “${who}”: they need to open their todos once (in this app or with the todo command) before you can share with them.`
  );
}
