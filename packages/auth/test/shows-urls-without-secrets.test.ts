import { describe, expect, it } from 'vitest';
import { withoutUrlSecrets } from '../src/diagnose/shown-url.js';

describe('URLs in what the doctor and the logs show', () => {
  it('drops user information, query and fragment', () => {
    expect(withoutUrlSecrets('see http://u:pw@sso.example/realms/a?token=x#f now')).toBe(
      'see http://…@sso.example/realms/a?… now',
    );
  });

  it('keeps the punctuation that follows a URL in a sentence', () => {
    expect(
      withoutUrlSecrets('It redirects to https://other.example/auth?client=x, not followed.'),
    ).toBe('It redirects to https://other.example/auth?…, not followed.');
    expect(withoutUrlSecrets('(at https://sso.example/realms/a?k=v).')).toBe(
      '(at https://sso.example/realms/a?…).',
    );
    expect(withoutUrlSecrets({ detail: ['keys at https://sso.example/certs; retry'] })).toEqual({
      detail: ['keys at https://sso.example/certs; retry'],
    });
  });
});
