import { screen } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderRoot, storeSignedInUser, UNREACHABLE_ISSUER } from './support/signed-in-root.js';

const api = freshPageEachTest();

/** What an earlier page of this tab left: a half-typed todo, and whose it was. */
function leaveDraftOf(sub: string, text: string) {
  window.sessionStorage.setItem('todo-sso.draft.new.title', text);
  window.sessionStorage.setItem('todo-sso.draft-owner', sub);
}

describe('drafts across a sign-in round trip', () => {
  test('someone else signing in on this tab does not get the previous person’s typed text', async () => {
    leaveDraftOf('sub-bob', 'bob’s private note');
    storeSignedInUser(UNREACHABLE_ISSUER); // alice (sub-alice) signed in at the IdP
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    const field = (await screen.findByLabelText('New todo')) as HTMLInputElement;
    expect(field.value).toBe('');
    expect(window.sessionStorage.getItem('todo-sso.draft.new.title')).toBeNull();
  });

  test('the same person signing in again gets their typed text back', async () => {
    leaveDraftOf('sub-alice', 'alice’s half-typed todo');
    storeSignedInUser(UNREACHABLE_ISSUER);
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });

    const field = (await screen.findByLabelText('New todo')) as HTMLInputElement;
    expect(field.value).toBe('alice’s half-typed todo');
  });
});
