/** Stable error codes of `@todo-sso/idp`; callers `switch` on them. */
export type IdpErrorCode =
  | 'ERR_REALM_INVALID'
  | 'ERR_REALM_UNSUPPORTED'
  | 'ERR_REALM_READ'
  | 'ERR_PORT_IN_USE'
  | 'ERR_KEYS'
  | 'ERR_USERS_FILE';

/**
 * The one error family of the development identity provider.
 *
 * @example
 * try { loadRealm(file) } catch (e) { if (e instanceof IdpError && e.code === 'ERR_REALM_UNSUPPORTED') … }
 */
export class IdpError extends Error {
  readonly code: IdpErrorCode;

  constructor(code: IdpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdpError';
    this.code = code;
  }
}
