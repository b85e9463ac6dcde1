import { apiWords, isApiError } from '../api/errors.js';
import { shownText } from '../ui/shown-text.js';
import type { GrantEndSettled } from './grant-ends-api.js';

/** What came of Retry now or Release, in words; `settled`: the hold is gone (its row too). */
export interface GrantEndOutcome {
  readonly ok: boolean;
  readonly settled: boolean;
  readonly text: string;
}

/**
 * The API's answer as the operator reads it. The API's `detail` (which may quote the provider)
 * is someone else's text: shown through {@link shownText}, as one bounded line, never markup.
 */
export function settledOutcome(agent: string, answer: GrantEndSettled): GrantEndOutcome {
  const what = {
    ended: 'the identity provider ended its grant',
    no_grant: 'the identity provider holds no grant for it any more',
    released: 'released on your confirmation that its grant was ended at the provider',
  }[answer.outcome];
  return {
    ok: true,
    settled: true,
    text: `The hold on ${agent} is cleared: ${what}. ${shownText(answer.detail)}`,
  };
}

/** A retry or release that did not settle the hold: why, and what the operator can do next. */
export function failedOutcome(
  agent: string,
  action: 'retry' | 'release',
  error: unknown,
): GrantEndOutcome {
  const failed = (text: string, settled = false): GrantEndOutcome => ({ ok: false, settled, text });
  if (!isApiError(error)) return failed(`Nothing changed for ${agent}. Try again.`);
  // The problem's detail, already made safe to show; the cases below say what to do next.
  const said = apiWords(error);
  const stays = `The hold on ${agent} stays: its tokens are still refused.`;
  switch (error.status) {
    case 404:
      return failed(
        `The hold on ${agent} is no longer pending: another administrator or the API's own next attempt settled it.`,
        true,
      );
    case 409:
      return failed(
        `Nothing was released. The identity provider did not end the grant, and you did not confirm that it was ended there by hand. ${stays} Provider: ${said}`,
      );
    case 501:
      return failed(
        `The API cannot ask this issuer's identity provider to end grants (it has no admin API for it), so retrying cannot help. End the grant at the provider by hand, then Release. ${stays} ${said}`,
      );
    case 502:
      return failed(`The identity provider refused to end the grant. ${stays} Provider: ${said}`);
    case 503:
      return failed(
        action === 'retry'
          ? `The identity provider could not be reached. ${stays} Try again later, or wait for the API's next attempt. ${said}`
          : `Nothing was released: the identity provider could not be reached. ${stays} Try again later or, once you have ended the grant at the provider yourself, release again with that confirmed. ${said}`,
      );
    default:
      return failed(`${stays} ${said}`);
  }
}
