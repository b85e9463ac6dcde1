import { describe, expect, it } from 'vitest';
import { userPageCursor, userPagePosition } from '../src/admin-idp/user-page.js';
import { MAX_CURSOR_LENGTH } from '../src/schemas/common.js';

/**
 * The cursor of `GET /admin/idp/users` names the last person shown by their id at the provider.
 * Keycloak's ids are UUIDs for its own users, but a user of a storage provider (LDAP without
 * import, a custom user store) has the id `f:<component id>:<external id>`, which may be a
 * username in any script and long. Whatever the id, the cursor the API issues is one it takes
 * back (no 400 on Load more): an id too long for the cursor's 200 characters leaves the offset
 * alone, as cursors did before they named the last person.
 */
describe('the cursor of the identity provider people', () => {
  const component = '0d9f8a1c-3b2e-4f5a-8c7d-6e5f4a3b2c1d';

  it.each([
    ['a Keycloak user', '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e05', true],
    ['a federated user named in ASCII', `f:${component}:jdoe`, true],
    ['a federated user named in another script', `f:${component}:jörg.müller`, true],
    ['a federated user with a space in their name', `f:${component}:Jane Doe`, true],
    ['a federated user with a long external id', `f:${component}:${'x'.repeat(150)}`, false],
  ])('is taken back for %s', (_who, id, named) => {
    const cursor = userPageCursor(40, id);
    expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    expect(userPagePosition(cursor)).toEqual({ offset: 40, anchor: named ? id : undefined });
  });
});
