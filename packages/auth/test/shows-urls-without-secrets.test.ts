import { describe, expect, it } from 'vitest';
import { shownUrl, withoutUrlSecrets } from '../src/diagnose/shown-url.js';

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

describe('a password written with an unencoded ? # / or @', () => {
  it.each([
    ['postgres://todo:pa?ss@db.example:5432/todo', 'postgres://…@db.example:5432/todo'],
    ['postgres://todo:pa#ss@db.example:5432/todo', 'postgres://…@db.example:5432/todo'],
    ['https://svc:a/b?c#d@sso.example/realms/a?x=1', 'https://…@sso.example/realms/a?…'],
    ['https://svc:p@ss?w@rd@sso.example/realms/a', 'https://…@sso.example/realms/a'],
    ['https://svc:?#@sso.example/', 'https://…@sso.example/'],
    ['https://TOKEN?x@sso.example', 'https://…@sso.example'],
  ])('shows no part of %s', (url, shown) => {
    expect(shownUrl(url)).toBe(shown);
    expect(withoutUrlSecrets(`at ${url}, refused`)).toBe(`at ${shown}, refused`);
  });

  it('masks the host too when an @ is in the path or query (more masked, nothing leaked)', () => {
    expect(shownUrl('https://sso.example/realms/a?login_hint=a@b.example')).toBe(
      'https://…@b.example',
    );
    expect(shownUrl('https://sso.example/realms/a?k=v')).toBe('https://sso.example/realms/a?…');
  });
});
