import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { CliError } from '../errors.js';
import type { DpopChoice } from '../settings.js';

/** The private EC P-256 key of a session, as a JWK (kept with the tokens, never printed). */
export interface DpopKeyJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly d: string;
}

/** The proof algorithm: ES256, which every provider speaking DPoP lists (RFC 9449 §5.1). */
export const DPOP_ALG = 'ES256';

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * RFC 9449 §8 and §9: a nonce is 1*NQCHAR (%x21 / %x23-5B / %x5D-7E). Anything else from the
 * server is not put into a proof.
 */
export function isDpopNonce(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(value);
}

/**
 * A DPoP key pair (RFC 9449): one per sign-in, kept with the session's tokens, since the access
 * token and (for a public client) the refresh token are bound to it. It signs proofs for the
 * token endpoint and the API, and remembers the last nonce each server gave (§8, §9).
 */
export class DpopKey {
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  /** The server's latest nonce, per origin (the provider's and the API's differ). */
  private readonly nonces = new Map<string, string>();

  private constructor(readonly jwk: DpopKeyJwk) {
    this.privateKey = createPrivateKey({ key: { ...jwk }, format: 'jwk' });
    this.publicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  }

  /** A new key for a new sign-in. */
  static generate(): DpopKey {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new DpopKey(privateKey.export({ format: 'jwk' }) as DpopKeyJwk);
  }

  /** The key kept with a session; a stored value that is not one is refused. */
  static fromJwk(value: unknown): DpopKey {
    const jwk = value as Partial<DpopKeyJwk> | null;
    if (
      jwk === null ||
      typeof jwk !== 'object' ||
      jwk.kty !== 'EC' ||
      jwk.crv !== 'P-256' ||
      ![jwk.x, jwk.y, jwk.d].every((p) => typeof p === 'string' && p !== '')
    )
      throw new CliError('session_ended', 'The stored DPoP key is unusable; run todo login');
    try {
      return new DpopKey(jwk as DpopKeyJwk);
    } catch {
      throw new CliError('session_ended', 'The stored DPoP key is unusable; run todo login');
    }
  }

  /** RFC 7638 thumbprint of the public key: the token's `cnf.jkt` (RFC 9449 §6.1). */
  thumbprint(): string {
    const { crv, kty, x, y } = this.publicJwk;
    return b64url(createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest());
  }

  /** The nonce last given by the server at `url`'s origin. */
  nonceFor(url: string): string | undefined {
    return this.nonces.get(new URL(url).origin);
  }

  /**
   * Keeps the `DPoP-Nonce` a server answered with (RFC 9449 §8.2, §9: later proofs to it carry
   * the newest); returns it when it is a new one.
   */
  rememberNonce(url: string, headers: Headers): string | undefined {
    const nonce = headers.get('dpop-nonce');
    if (!isDpopNonce(nonce)) return undefined;
    const origin = new URL(url).origin;
    if (this.nonces.get(origin) === nonce) return undefined;
    this.nonces.set(origin, nonce);
    return nonce;
  }

  /**
   * A DPoP proof JWT (RFC 9449 §4.2): `typ` dpop+jwt, the public key in the header; `jti`,
   * `htm`, `htu` (the target URI without query and fragment), `iat`, the server's nonce when
   * it gave one, and `ath` (base64url SHA-256 of the access token) on a resource request (§7).
   */
  proof(method: string, url: string, options: { accessToken?: string; nowMs?: number } = {}) {
    const target = new URL(url);
    target.search = '';
    target.hash = '';
    const nonce = this.nonces.get(target.origin);
    const header = { typ: 'dpop+jwt', alg: DPOP_ALG, jwk: this.publicJwk };
    const payload = {
      jti: b64url(randomBytes(16)),
      htm: method.toUpperCase(),
      htu: target.href,
      iat: Math.floor((options.nowMs ?? Date.now()) / 1000),
      ...(nonce === undefined ? {} : { nonce }),
      ...(options.accessToken === undefined
        ? {}
        : { ath: b64url(createHash('sha256').update(options.accessToken).digest()) }),
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = sign('sha256', Buffer.from(input), {
      key: this.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${input}.${b64url(signature)}`;
  }
}

/**
 * The key for a new sign-in: a fresh one per sign-in (RFC 9449 §5) when the provider lists ES256
 * in `dpop_signing_alg_values_supported` (§5.1) and TODO_DPOP is `on`, or `auto` with an API that
 * requires DPoP-bound tokens; undefined for bearer tokens.
 */
export function newSignInKey(
  choice: DpopChoice,
  algs: readonly string[] | undefined,
  apiRequiresDpop: boolean,
): DpopKey | undefined {
  if (choice === 'off' || (choice === 'auto' && !apiRequiresDpop)) return undefined;
  return Array.isArray(algs) && algs.includes(DPOP_ALG) ? DpopKey.generate() : undefined;
}
