import { createHash } from 'node:crypto';
import {
  base32Decode,
  OTP_ALGORITHMS,
  type OtpAlgorithm,
  type TotpParameters,
} from '../otp/totp.js';
import { bool, invalid, object, onlyKeys, optionalString, string } from './check.js';

/** The realm's OTP policy (Keycloak's `otpPolicy*` realm fields); only `totp` is implemented. */
export interface OtpPolicy extends TotpParameters {
  type: 'totp';
  /** Time steps accepted either side of now (clock drift). */
  lookAheadWindow: number;
  /** Whether one code may sign in twice within its time step (Keycloak's default: no). */
  codeReusable: boolean;
}

/** A stored OTP credential (Keycloak's `OTPCredentialModel`). */
export interface OtpCredential {
  id: string;
  userLabel: string | undefined;
  /** Epoch milliseconds. */
  createdDate: number;
  /** `secretData.value` as Keycloak stores it. */
  value: string;
  /** Keycloak's `credentialData.secretEncoding`: absent = the value's UTF-8 bytes are the key. */
  secretEncoding: 'BASE32' | undefined;
  params: TotpParameters;
}

/** The realm fields of the OTP policy, with Keycloak's defaults. */
export const OTP_POLICY_FIELDS = [
  'otpPolicyType',
  'otpPolicyAlgorithm',
  'otpPolicyInitialCounter',
  'otpPolicyDigits',
  'otpPolicyLookAheadWindow',
  'otpPolicyPeriod',
  'otpPolicyCodeReusable',
  'otpSupportedApplications',
] as const;

function int(value: unknown, path: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function algorithm(value: unknown, path: string): OtpAlgorithm {
  if (value === undefined) return 'HmacSHA1';
  if (!OTP_ALGORITHMS.includes(value as OtpAlgorithm)) {
    invalid(path, `must be one of ${OTP_ALGORITHMS.join(', ')}`);
  }
  return value as OtpAlgorithm;
}

/** Reads the realm's `otpPolicy*` fields (Keycloak's defaults: HmacSHA1, 6 digits, 30 s, 1). */
export function parseOtpPolicy(r: Record<string, unknown>): OtpPolicy {
  if (r.otpPolicyType !== undefined && r.otpPolicyType !== 'totp') {
    invalid('otpPolicyType', 'must be "totp" (HOTP is not supported)');
  }
  return {
    type: 'totp',
    algorithm: algorithm(r.otpPolicyAlgorithm, 'otpPolicyAlgorithm'),
    digits: int(r.otpPolicyDigits, 'otpPolicyDigits', 6, 6, 8),
    period: int(r.otpPolicyPeriod, 'otpPolicyPeriod', 30, 1, 3600),
    lookAheadWindow: int(r.otpPolicyLookAheadWindow, 'otpPolicyLookAheadWindow', 1, 0, 10),
    codeReusable: bool(r.otpPolicyCodeReusable, 'otpPolicyCodeReusable', false),
  };
}

/**
 * The realm attribute `acr.loa.map`: a JSON object of acr names to levels of authentication
 * (Keycloak stores it as a string). The dev IdP knows two levels: 1 (password) and 2 (password
 * and OTP).
 */
export function parseAcrLoaMap(value: unknown, path: string): Record<string, number> {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(string(value, path));
  } catch {
    invalid(path, 'must be a JSON object of acr names to levels, e.g. {"pwd":1,"mfa":2}');
  }
  const map = object(parsed, path);
  for (const [name, level] of Object.entries(map)) {
    if (level !== 1 && level !== 2) invalid(`${path}.${name}`, 'must be level 1 or 2');
  }
  return map as Record<string, number>;
}

const OTP_CREDENTIAL_FIELDS = [
  'id',
  'type',
  'userLabel',
  'createdDate',
  'secretData',
  'credentialData',
  'priority',
] as const;
const SECRET_DATA_FIELDS = ['value'];
const CREDENTIAL_DATA_FIELDS = [
  'subType',
  'digits',
  'counter',
  'period',
  'algorithm',
  'secretEncoding',
];

function jsonObject(value: unknown, path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(string(value, path));
  } catch {
    invalid(path, 'must be a JSON object in a string (Keycloak stores credential data so)');
  }
  return object(parsed, path);
}

/**
 * An OTP credential in Keycloak's import format:
 * `{ "type": "otp", "secretData": "{\"value\":…}", "credentialData": "{\"subType\":\"totp\",…}" }`.
 */
export function parseOtpCredential(
  cred: Record<string, unknown>,
  path: string,
  userId: string,
): OtpCredential {
  onlyKeys(cred, OTP_CREDENTIAL_FIELDS, path);
  const secret = jsonObject(cred.secretData, `${path}.secretData`);
  onlyKeys(secret, SECRET_DATA_FIELDS, `${path}.secretData`);
  const data = jsonObject(cred.credentialData, `${path}.credentialData`);
  onlyKeys(data, CREDENTIAL_DATA_FIELDS, `${path}.credentialData`);
  const dpath = `${path}.credentialData`;
  if (data.subType !== 'totp') invalid(`${dpath}.subType`, 'must be "totp"');
  const encoding = optionalString(data.secretEncoding, `${dpath}.secretEncoding`)?.toUpperCase();
  if (encoding !== undefined && encoding !== 'BASE32') {
    invalid(`${dpath}.secretEncoding`, 'must be "BASE32" or absent');
  }
  const value = string(secret.value, `${path}.secretData.value`);
  if (encoding === 'BASE32' && !base32Decode(value)?.length) {
    invalid(`${path}.secretData.value`, 'must be base32 (secretEncoding is BASE32)');
  }
  const createdDate = cred.createdDate ?? 0;
  if (typeof createdDate !== 'number') invalid(`${path}.createdDate`, 'must be a number');
  return {
    id: optionalString(cred.id, `${path}.id`) || derivedId(userId, value),
    userLabel: optionalString(cred.userLabel, `${path}.userLabel`),
    createdDate,
    value,
    secretEncoding: encoding === 'BASE32' ? 'BASE32' : undefined,
    params: {
      algorithm: algorithm(data.algorithm, `${dpath}.algorithm`),
      digits: int(data.digits, `${dpath}.digits`, 6, 6, 8),
      period: int(data.period, `${dpath}.period`, 30, 1, 3600),
    },
  };
}

/** The HMAC key of a credential: the base32-decoded value, or its UTF-8 bytes (Keycloak). */
export function otpKey(credential: OtpCredential): Buffer {
  if (credential.secretEncoding === 'BASE32')
    return base32Decode(credential.value) ?? Buffer.alloc(0);
  return Buffer.from(credential.value, 'utf8');
}

function derivedId(userId: string, value: string): string {
  const h = createHash('sha256').update(`otp\0${userId}\0${value}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
