import { describe, expect, test } from 'vitest';
import { ApiError, toApiError } from '../src/api/errors.js';
import { describeSignInError } from '../src/auth/sign-in-error.js';
import { MAX_SHOWN_CHARACTERS, shownText, withoutBidiControls } from '../src/ui/shown-text.js';

const problemResponse = (status: number) =>
  new Response(null, { status, headers: { 'Content-Type': 'application/problem+json' } });

describe('text from the API or the identity provider, as shown', () => {
  test('short text stays as it is', () => {
    expect(shownText('The list was deleted.')).toBe('The list was deleted.');
  });

  test('control characters and bidi controls become spaces, on one line', () => {
    expect(shownText('a\u202Eb\u2066c\nd\u0000\u009be')).toBe('a b c d e');
  });

  test('a name inside a sentence keeps its words and loses every bidi control, nothing else', () => {
    const name = 'Pantry\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069 שלום\u200F';
    expect(withoutBidiControls(name)).toBe('Pantry שלום\u200F');
    expect(`Delete “${withoutBidiControls('Flour\u202E')}”`).toBe('Delete “Flour”');
  });

  test('long text is cut at the limit, the cut marked, never inside a character', () => {
    const cut = shownText('😀'.repeat(MAX_SHOWN_CHARACTERS + 10));
    expect(Array.from(cut)).toHaveLength(MAX_SHOWN_CHARACTERS);
    expect(cut.endsWith('😀…')).toBe(true);
    expect(shownText('x'.repeat(MAX_SHOWN_CHARACTERS))).toHaveLength(MAX_SHOWN_CHARACTERS);
  });

  test('an API problem shows its detail, else its title, bounded; nothing usable gives the default', () => {
    const long = new ApiError('server', 500, { detail: 'd'.repeat(10_000) } as never);
    expect(long.message.length).toBe(MAX_SHOWN_CHARACTERS);
    const titled = new ApiError('server', 500, { title: 'Broken', detail: { x: 1 } } as never);
    expect(titled.message).toBe('Broken');
    expect(new ApiError('network', 0, { detail: ' \u202E ' } as never).message).toMatch(/reach/);
  });

  test('an unavailable API (502, 503, 504) in its own words still says to try again, within the bound', () => {
    for (const status of [502, 503, 504]) {
      const error = toApiError(problemResponse(status), { detail: 'The database is unavailable' });
      expect(error.message).toBe('The database is unavailable. Try again in a moment.');
    }
    const titled = new ApiError('unavailable', 503, { title: 'Service Unavailable' } as never);
    expect(titled.message).toBe('Service Unavailable. Try again in a moment.');
    // Said once: words that already say it stay as they are.
    const said = new ApiError('unavailable', 503, {
      detail: 'Paused. Try again in a minute.',
    } as never);
    expect(said.message).toBe('Paused. Try again in a minute.');
    const long = new ApiError('unavailable', 503, { detail: 'd'.repeat(10_000) } as never);
    expect(Array.from(long.message).length).toBeLessThanOrEqual(MAX_SHOWN_CHARACTERS);
    expect(long.message).toMatch(/d… Try again in a moment\.$/);
    // A refusal is not an outage: trying again would not help.
    expect(new ApiError('forbidden', 403, { detail: 'Not yours.' } as never).message).toBe(
      'Not yours.',
    );
  });

  test('a provider error description is bounded on the sign-in page', () => {
    const text = describeSignInError({ message: `<b>${'y'.repeat(5000)}` });
    expect(text.startsWith('Sign-in did not complete: <b>yyy')).toBe(true);
    expect(text.length).toBeLessThanOrEqual(26 + MAX_SHOWN_CHARACTERS);
  });
});
