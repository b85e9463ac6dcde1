import { bool, invalid } from './check.js';

/**
 * Keycloak's brute-force detection settings (realm "Security defenses" → "Brute force
 * detection"), with Keycloak's defaults. Durations are seconds except `quickLoginCheckMilliSeconds`.
 */
export interface BruteForceSettings {
  bruteForceProtected: boolean;
  permanentLockout: boolean;
  /** Failures before a wait starts ("Max login failures"). */
  failureFactor: number;
  waitIncrementSeconds: number;
  maxFailureWaitSeconds: number;
  /** After this long without a failure the count starts again ("Failure reset time"). */
  maxDeltaTimeSeconds: number;
  /** Two failures closer together than this are a "quick login"… */
  quickLoginCheckMilliSeconds: number;
  /** …which locks the user for at least this long. */
  minimumQuickLoginWaitSeconds: number;
}

/** Keycloak's refresh-token rotation settings ("Revoke refresh token", "Refresh token max reuse"). */
export interface RefreshTokenSettings {
  revokeRefreshToken: boolean;
  refreshTokenMaxReuse: number;
}

export type SecuritySettings = BruteForceSettings & RefreshTokenSettings;

/** The realm fields read here (each also accepted by a real Keycloak's realm import). */
export const SECURITY_FIELDS = [
  'bruteForceProtected',
  'permanentLockout',
  'failureFactor',
  'waitIncrementSeconds',
  'maxFailureWaitSeconds',
  'maxDeltaTimeSeconds',
  'quickLoginCheckMilliSeconds',
  'minimumQuickLoginWaitSeconds',
  'revokeRefreshToken',
  'refreshTokenMaxReuse',
] as const;

function whole(value: unknown, path: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    invalid(path, min === 0 ? 'must be a non-negative integer' : 'must be a positive integer');
  }
  return value;
}

/** Reads the realm's brute-force and refresh-token settings; absent ones take Keycloak's defaults. */
export function parseSecurity(r: Record<string, unknown>): SecuritySettings {
  return {
    bruteForceProtected: bool(r.bruteForceProtected, 'bruteForceProtected', false),
    permanentLockout: bool(r.permanentLockout, 'permanentLockout', false),
    failureFactor: whole(r.failureFactor, 'failureFactor', 30, 1),
    waitIncrementSeconds: whole(r.waitIncrementSeconds, 'waitIncrementSeconds', 60, 0),
    maxFailureWaitSeconds: whole(r.maxFailureWaitSeconds, 'maxFailureWaitSeconds', 900, 0),
    maxDeltaTimeSeconds: whole(r.maxDeltaTimeSeconds, 'maxDeltaTimeSeconds', 43200, 0),
    quickLoginCheckMilliSeconds: whole(
      r.quickLoginCheckMilliSeconds,
      'quickLoginCheckMilliSeconds',
      1000,
      0,
    ),
    minimumQuickLoginWaitSeconds: whole(
      r.minimumQuickLoginWaitSeconds,
      'minimumQuickLoginWaitSeconds',
      60,
      0,
    ),
    revokeRefreshToken: bool(r.revokeRefreshToken, 'revokeRefreshToken', false),
    refreshTokenMaxReuse: whole(r.refreshTokenMaxReuse, 'refreshTokenMaxReuse', 0, 0),
  };
}
