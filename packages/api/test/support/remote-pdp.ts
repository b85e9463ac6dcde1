import type { AccessQuestion } from '../../src/authz/remote-pdp.js';

/**
 * What the API asks an external decision point about bob (todos:read, no roles): `action` on
 * list `id`.
 */
export function listQuestion(id: string, action: AccessQuestion['action']): AccessQuestion {
  return {
    issuer: 'https://idp.test',
    subject: 'bob',
    permissions: ['todos:read'],
    roles: [],
    type: 'list',
    id,
    action,
  };
}
