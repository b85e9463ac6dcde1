import { type AuthError, type AuthErrorCode, authErrorResponse, isAuthError } from '@todo-sso/auth';
import { expect } from 'vitest';

/** A controllable clock shared by the test issuer and the authenticator (ms). */
export function frozenClock(start = Date.UTC(2026, 0, 15, 12, 0, 0)) {
  let t = start;
  return {
    now: () => t,
    advance(sec: number) {
      t += sec * 1000;
    },
  };
}

/**
 * Awaits a rejection and asserts its reason code, HTTP status and RFC 6750 challenge:
 * `invalid_token` for 401 (none when no token was sent), `insufficient_scope` for 403.
 */
export async function expectAuthFailure(
  promise: Promise<unknown>,
  code: AuthErrorCode,
  status?: number,
): Promise<AuthError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected an AuthError ${code}`).toBeDefined();
  if (!isAuthError(caught)) throw caught;
  expect(caught.code).toBe(code);
  const response = authErrorResponse(caught, { realm: 'todo-api' });
  const expectedStatus = status ?? response.status;
  expect(response.status).toBe(expectedStatus);
  const challenge = response.headers['www-authenticate'];
  if (code === 'token_missing') expect(challenge).toBe('Bearer realm="todo-api"');
  else if (expectedStatus === 401)
    expect(challenge).toMatch(
      /^Bearer realm="todo-api", error="invalid_token", error_description="[^"]+"$/,
    );
  else if (expectedStatus === 403) expect(challenge).toMatch(/error="insufficient_scope"/);
  else if (expectedStatus === 503) expect(challenge).toBeUndefined();
  expect(response.body.code).toBe(code);
  return caught;
}

/** Base64url of a JSON value (for hand-built tokens). */
export function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
