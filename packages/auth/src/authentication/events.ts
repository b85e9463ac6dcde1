import { isAuthError } from '../errors.js';
import type { AuthEvent } from '../options.js';

/** Counts a failure by reason code through the hook (never with the token); other errors pass. */
export function reportFailure(
  emit: (event: AuthEvent) => void,
  error: unknown,
  issuer: string | undefined,
): void {
  if (isAuthError(error))
    emit({
      type: 'auth_failed',
      code: error.code,
      description: error.description,
      ...(issuer === undefined ? {} : { issuer }),
    });
}
