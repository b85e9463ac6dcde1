import { createPublicKey, type KeyObject } from 'node:crypto';
import type { AuthErrorCode } from '@todo-sso/auth';
import type { TestIssuer } from '@todo-sso/auth/testing';
import { CompactEncrypt, generateKeyPair } from 'jose';
import { b64url, parts, signHmac, signingInput, signRsa } from './forge.js';

/** Everything a forgery may use: a real token, the real key, an attacker's key, other issuers. */
export interface ForgeKit {
  readonly idp: TestIssuer;
  /** Another, untrusted issuer (its tokens and its keys). */
  readonly stranger: TestIssuer;
  /** A valid access token for alice, and its decoded parts. */
  readonly valid: string;
  readonly claims: Record<string, unknown>;
  /** The trusted issuer's signing key (private) and kid: for correctly signed bad claims. */
  readonly realKey: KeyObject;
  readonly realKid: string;
  readonly realPublicJwk: Record<string, unknown>;
  readonly attacker: { privateKey: KeyObject; publicKey: KeyObject };
  /** Base URL of a listener that records every request made to it. */
  readonly trap: string;
}

/** One forged or malformed token class and the answer it must get. */
export interface Attack {
  readonly name: string;
  /** Where the class comes from (RFC 8725, OWASP JWT cheat sheet, jwt_tool, CVE …). */
  readonly source: string;
  readonly forge: (kit: ForgeKit) => Promise<string> | string;
  /** Reason `code` of the problem body. */
  readonly code: AuthErrorCode;
  /** HTTP status when it is not 401 (a header the HTTP layer refuses before auth runs). */
  readonly status?: number;
}

const json = (value: unknown) => JSON.stringify(value);
const header = (kit: ForgeKit, extra: Record<string, unknown> = {}) =>
  json({ alg: 'RS256', typ: 'JWT', kid: kit.realKid, ...extra });
const payload = (kit: ForgeKit, extra: Record<string, unknown> = {}) =>
  json({ ...kit.claims, ...extra });
/** Correctly signed by the trusted issuer: only the claims are wrong. */
const real = (kit: ForgeKit, claims: Record<string, unknown>, extraHeader = {}) =>
  signRsa(header(kit, extraHeader), payload(kit, claims), kit.realKey);
/** Signed by the attacker's key under the given header. */
const evil = (kit: ForgeKit, h: Record<string, unknown>, claims: Record<string, unknown> = {}) =>
  signRsa(json({ alg: 'RS256', typ: 'JWT', ...h }), payload(kit, claims), kit.attacker.privateKey);
const unsigned = (kit: ForgeKit, alg: string) =>
  `${signingInput(json({ alg, typ: 'JWT', kid: kit.realKid }), payload(kit, { sub: 'admin' }))}.`;
const withoutKey = (claims: Record<string, unknown>, name: string) => {
  const copy = { ...claims };
  delete copy[name];
  return copy;
};

/** RFC 8725, the OWASP JWT cheat sheet and jwt_tool / JOSE CVE classes, one row each. */
export const ATTACKS: readonly Attack[] = [
  // ── alg "none" (RFC 8725 §2.1, §3.1; CVE-2015-9235) ────────────────────────────────────
  {
    name: 'alg none',
    source: 'RFC 8725 §3.1',
    code: 'alg_not_allowed',
    forge: (k) => unsigned(k, 'none'),
  },
  {
    name: 'alg None',
    source: 'jwt_tool -X a',
    code: 'alg_not_allowed',
    forge: (k) => unsigned(k, 'None'),
  },
  {
    name: 'alg NONE',
    source: 'jwt_tool -X a',
    code: 'alg_not_allowed',
    forge: (k) => unsigned(k, 'NONE'),
  },
  {
    name: 'alg nOnE',
    source: 'jwt_tool -X a',
    code: 'alg_not_allowed',
    forge: (k) => unsigned(k, 'nOnE'),
  },
  {
    name: 'alg none keeping the original signature',
    source: 'OWASP JWT cheat sheet',
    code: 'alg_not_allowed',
    forge: (k) => `${unsigned(k, 'none')}${parts(k.valid).signature}`,
  },
  {
    name: 'alg "nоne" with a Cyrillic о',
    source: 'unicode homoglyph',
    code: 'alg_not_allowed',
    forge: (k) => unsigned(k, 'n\u043ene'),
  },
  // ── algorithm confusion (RFC 8725 §2.1, §3.2; CVE-2016-10555, CVE-2022-29217) ──────────
  {
    name: 'HS256 keyed with the RSA public key PEM',
    source: 'RFC 8725 §2.1, jwt_tool -X k',
    code: 'alg_not_allowed',
    forge: (k) =>
      signHmac(
        header(k, { alg: 'HS256' }),
        payload(k, { sub: 'admin' }),
        createPublicKey(k.realKey).export({ type: 'spki', format: 'pem' }),
      ),
  },
  {
    name: 'HS256 keyed with the RSA public key PKCS#1 PEM',
    source: 'RFC 8725 §2.1',
    code: 'alg_not_allowed',
    forge: (k) =>
      signHmac(
        header(k, { alg: 'HS256' }),
        payload(k),
        createPublicKey(k.realKey).export({ type: 'pkcs1', format: 'pem' }),
      ),
  },
  {
    name: 'HS256 keyed with the JWK modulus bytes',
    source: 'RFC 8725 §3.2',
    code: 'alg_not_allowed',
    forge: (k) =>
      signHmac(
        header(k, { alg: 'HS256' }),
        payload(k),
        Buffer.from(String(k.realPublicJwk.n), 'base64url'),
      ),
  },
  {
    name: 'kid /dev/null with HS256 and an empty secret',
    source: 'jwt_tool kid injection',
    code: 'alg_not_allowed',
    forge: (k) =>
      signHmac(header(k, { alg: 'HS256', kid: '../../../../../../dev/null' }), payload(k), ''),
  },
  {
    name: 'ES256 psychic signature (r = s = 0)',
    source: 'CVE-2022-21449',
    code: 'alg_not_allowed',
    forge: (k) =>
      `${signingInput(header(k, { alg: 'ES256' }), payload(k))}.${b64url(Buffer.alloc(64))}`,
  },
  {
    name: 'RS512 not on the allow list',
    source: 'RFC 8725 §3.1',
    code: 'alg_not_allowed',
    forge: (k) => evil(k, { alg: 'RS512', kid: k.realKid }),
  },
  {
    name: 'alg empty',
    source: 'RFC 7515 §4.1.1',
    code: 'token_malformed',
    forge: (k) => evil(k, { alg: '', kid: k.realKid }),
  },
  {
    name: 'alg missing',
    source: 'RFC 7515 §4.1.1',
    code: 'token_malformed',
    forge: (k) => signRsa(json({ typ: 'JWT', kid: k.realKid }), payload(k), k.attacker.privateKey),
  },
  {
    name: 'alg as an array',
    source: 'type confusion',
    code: 'token_malformed',
    forge: (k) => evil(k, { alg: ['RS256'], kid: k.realKid }),
  },
  // ── signatures ─────────────────────────────────────────────────────────────────────────
  {
    name: 'stripped signature',
    source: 'OWASP JWT cheat sheet',
    code: 'signature_invalid',
    forge: (k) => `${k.valid.slice(0, k.valid.lastIndexOf('.'))}.`,
  },
  {
    name: 'two segments only',
    source: 'RFC 7515 §7.1',
    code: 'token_malformed',
    forge: (k) => k.valid.slice(0, k.valid.lastIndexOf('.')),
  },
  {
    name: 'payload changed under the original signature',
    source: 'jwt_tool tamper',
    code: 'signature_invalid',
    forge: (k) => {
      const [h, , s] = k.valid.split('.');
      return `${h}.${b64url(payload(k, { sub: 'admin', realm_access: { roles: ['admin'] } }))}.${s}`;
    },
  },
  {
    name: 'signature with flipped bits',
    source: 'RFC 7515 §5.2',
    code: 'signature_invalid',
    forge: (k) => {
      const [h, p, s = ''] = k.valid.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[0] = (sig[0] ?? 0) ^ 0xff;
      return `${h}.${p}.${b64url(sig)}`;
    },
  },
  {
    name: 'attacker key reusing the trusted kid',
    source: 'key collision',
    code: 'signature_invalid',
    forge: (k) => evil(k, { kid: k.realKid }, { sub: 'admin' }),
  },
  {
    name: 'attacker key without kid',
    source: 'RFC 7515 §4.1.4',
    code: 'signature_invalid',
    forge: (k) => evil(k, {}),
  },
  {
    name: 'attacker key with an unknown kid',
    source: 'RFC 8725 §3.10',
    code: 'key_unknown',
    forge: (k) => evil(k, { kid: 'attacker-1' }),
  },
  {
    name: 'PS256 header over the trusted RSA kid, signed by the attacker',
    source: 'RFC 8725 §3.1',
    code: 'alg_not_allowed',
    forge: (k) => signRsa(header(k, { alg: 'PS256' }), payload(k), k.attacker.privateKey, 'pss'),
  },
  {
    name: 'signature of another issuer under the trusted iss',
    source: 'RFC 8725 §3.8',
    code: 'key_unknown',
    forge: async (k) => {
      const foreign = await k.stranger.accessToken(undefined, { claims: k.claims });
      return foreign;
    },
  },
  {
    name: "another issuer's own token",
    source: 'RFC 8725 §3.8',
    code: 'issuer_unknown',
    forge: (k) =>
      k.stranger.accessToken({
        sub: String(k.claims.sub),
        roles: ['admin'],
        permissions: [],
      } as never),
  },
  // ── kid injection (OWASP, jwt_tool -I -hc kid) ─────────────────────────────────────────
  {
    name: 'kid path traversal',
    source: 'jwt_tool kid injection',
    code: 'key_unknown',
    forge: (k) => evil(k, { kid: '../../../../../../etc/passwd' }),
  },
  {
    name: 'kid SQL injection',
    source: 'OWASP JWT cheat sheet',
    code: 'key_unknown',
    forge: (k) => evil(k, { kid: "x' UNION SELECT 'secret' -- " }),
  },
  {
    name: 'kid shell injection',
    source: 'jwt_tool kid injection',
    code: 'key_unknown',
    forge: (k) => evil(k, { kid: 'key|/usr/bin/id;$(whoami)' }),
  },
  {
    name: 'kid as a number',
    source: 'type confusion',
    code: 'token_malformed',
    forge: (k) => evil(k, { kid: 1 }),
  },
  {
    name: 'kid as an object',
    source: 'type confusion',
    code: 'token_malformed',
    forge: (k) => evil(k, { kid: { $ne: null } }),
  },
  // ── key location headers (RFC 8725 §3.10; jwt_tool -X s / -X i) ───────────────────────
  {
    name: 'jku pointing at the attacker',
    source: 'RFC 8725 §3.10, jwt_tool -X s',
    code: 'key_unknown',
    forge: (k) => evil(k, { kid: 'attacker-jku', jku: `${k.trap}/jwks.json` }),
  },
  {
    name: 'x5u pointing at the attacker',
    source: 'RFC 7515 §4.1.5',
    code: 'key_unknown',
    forge: (k) => evil(k, { kid: 'attacker-x5u', x5u: `${k.trap}/cert.pem` }),
  },
  {
    name: 'jku on the trusted host with the trusted kid',
    source: 'jwt_tool -X s',
    code: 'signature_invalid',
    forge: (k) =>
      evil(k, { kid: k.realKid, jku: `${k.trap}/realms/todo-app/protocol/openid-connect/certs` }),
  },
  {
    name: 'embedded jwk (CVE-2018-0114)',
    source: 'jwt_tool -X i',
    code: 'key_unknown',
    forge: (k) => evil(k, { kid: 'embedded', jwk: k.attacker.publicKey.export({ format: 'jwk' }) }),
  },
  {
    name: 'embedded jwk under the trusted kid',
    source: 'jwt_tool -X i',
    code: 'signature_invalid',
    forge: (k) => evil(k, { kid: k.realKid, jwk: k.attacker.publicKey.export({ format: 'jwk' }) }),
  },
  {
    name: 'x5c with an attacker certificate chain',
    source: 'RFC 7515 §4.1.6',
    code: 'key_unknown',
    forge: (k) =>
      evil(k, {
        kid: 'x5c',
        x5c: [k.attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')],
      }),
  },
  // ── critical headers and encodings (RFC 7515 §4.1.11, RFC 7797) ─────────────────────────
  {
    name: 'crit with an unknown extension',
    source: 'RFC 7515 §4.1.11',
    code: 'token_malformed',
    forge: (k) =>
      signRsa(header(k, { crit: ['urn:evil'], 'urn:evil': true }), payload(k), k.realKey),
  },
  {
    name: 'crit b64=false (unencoded payload)',
    source: 'RFC 7797 §3',
    code: 'token_malformed',
    forge: (k) => signRsa(header(k, { b64: false, crit: ['b64'] }), payload(k), k.realKey),
  },
  // ── duplicate JSON members (RFC 7515 §4, RFC 7519 §4: parser differentials) ─────────────
  {
    name: 'duplicate alg in the header (last is none)',
    source: 'RFC 7515 §4',
    code: 'alg_not_allowed',
    forge: (k) =>
      `${signingInput(`{"alg":"RS256","kid":"${k.realKid}","alg":"none"}`, payload(k))}.`,
  },
  {
    name: 'duplicate iss in the payload (last is foreign)',
    source: 'RFC 7519 §4',
    code: 'issuer_unknown',
    forge: (k) =>
      signRsa(header(k), `${payload(k).slice(0, -1)},"iss":"https://evil.example"}`, k.realKey),
  },
  {
    name: 'duplicate exp in the payload (last is past)',
    source: 'RFC 7519 §4',
    code: 'token_expired',
    forge: (k) => signRsa(header(k), `${payload(k).slice(0, -1)},"exp":1000}`, k.realKey),
  },
  {
    name: 'duplicate sub in the payload, signed by the attacker',
    source: 'RFC 7519 §4',
    code: 'signature_invalid',
    forge: (k) =>
      signRsa(header(k), `${payload(k).slice(0, -1)},"sub":"admin"}`, k.attacker.privateKey),
  },
  // ── token formats ──────────────────────────────────────────────────────────────────────
  {
    name: 'nested JWT (cty JWT wrapping a valid token)',
    source: 'RFC 7519 §5.2',
    code: 'token_malformed',
    forge: (k) => signRsa(header(k, { cty: 'JWT' }), k.valid, k.realKey),
  },
  {
    name: 'JWE compact where a JWS is expected',
    source: 'RFC 7516 §7.1',
    code: 'token_malformed',
    forge: async (k) => {
      const { publicKey } = await generateKeyPair('RSA-OAEP-256');
      return new CompactEncrypt(new TextEncoder().encode(k.valid))
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: k.realKid })
        .encrypt(publicKey);
    },
  },
  {
    name: 'JWE with alg dir and empty key segment',
    source: 'RFC 7516 §7.1',
    code: 'token_malformed',
    forge: (k) =>
      `${b64url(json({ alg: 'dir', enc: 'A128GCM' }))}..${b64url('iv')}.${b64url(payload(k))}.${b64url('tag')}`,
  },
  {
    name: 'JWS JSON serialization, base64url-wrapped',
    source: 'RFC 7515 §7.2',
    code: 'token_malformed',
    forge: (k) => b64url(json({ payload: k.valid.split('.')[1], signatures: [] })),
  },
  {
    name: 'huge header (8 KiB of kid)',
    source: 'resource exhaustion',
    code: 'key_unknown',
    forge: (k) => evil(k, { kid: 'k'.repeat(8 * 1024) }),
  },
  {
    name: 'token beyond the 16 KiB header limit',
    source: 'resource exhaustion',
    code: 'token_malformed',
    status: 431,
    forge: (k) => evil(k, { kid: 'k'.repeat(20 * 1024) }),
  },
  {
    // UTF-8 decoding strips a BOM (WHATWG Encoding), so it must not hide the alg from the check.
    name: 'header JSON with a byte-order mark hiding alg none',
    source: 'unicode trick',
    code: 'alg_not_allowed',
    forge: (k) =>
      `${signingInput(`\uFEFF${json({ alg: 'none', kid: k.realKid })}`, payload(k, { sub: 'admin' }))}.`,
  },
  {
    name: 'payload that is a JSON array',
    source: 'RFC 7519 §7.2',
    code: 'token_malformed',
    forge: (k) => signRsa(header(k), json([k.claims]), k.realKey),
  },
  {
    name: 'header that is not JSON',
    source: 'RFC 7515 §5.2',
    code: 'token_malformed',
    forge: (k) => signRsa('alg=RS256', payload(k), k.attacker.privateKey),
  },
  {
    name: 'standard base64 alphabet (+ and /) instead of base64url',
    source: 'RFC 7515 §2',
    code: 'token_malformed',
    forge: (k) => {
      const [h = '', p = '', s = ''] = k.valid.split('.');
      // Unpadded, so the header stays a valid RFC 6750 b64token and reaches the JWS parser.
      const std = (x: string) => Buffer.from(x, 'base64url').toString('base64').replace(/=+$/, '');
      return `${std(h)}.${std(p)}.${std(s)}/+`;
    },
  },
  {
    name: 'four segments',
    source: 'RFC 7515 §7.1',
    code: 'token_malformed',
    forge: (k) => `${k.valid}.${k.valid.split('.')[2]}`,
  },
  { name: 'opaque garbage', source: 'fuzz', code: 'token_malformed', forge: () => 'deadbeef' },
  // ── claim type confusion, correctly signed (RFC 7519 §4.1) ──────────────────────────────
  {
    name: 'aud as an object',
    source: 'RFC 7519 §4.1.3',
    code: 'audience_mismatch',
    forge: (k) => real(k, { aud: { 'todo-api': true } }),
  },
  {
    name: 'aud as an array holding an object',
    source: 'RFC 7519 §4.1.3',
    code: 'audience_mismatch',
    forge: (k) => real(k, { aud: [{ 0: 'todo-api' }] }),
  },
  {
    name: 'aud empty array',
    source: 'RFC 7519 §4.1.3',
    code: 'audience_mismatch',
    forge: (k) => real(k, { aud: [] }),
  },
  {
    name: 'aud of another client only',
    source: 'RFC 8725 §3.9',
    code: 'audience_mismatch',
    forge: (k) => real(k, { aud: 'account' }),
  },
  {
    name: 'aud with a trailing space',
    source: 'whitespace trick',
    code: 'audience_mismatch',
    forge: (k) => real(k, { aud: 'todo-api ' }),
  },
  {
    name: 'aud missing',
    source: 'RFC 9068 §2.2',
    code: 'audience_mismatch',
    forge: (k) => real(k, { aud: undefined }),
  },
  {
    name: 'exp as a string',
    source: 'RFC 7519 §4.1.4',
    code: 'token_malformed',
    forge: (k) => real(k, { exp: String(k.claims.exp) }),
  },
  {
    name: 'exp as a boolean',
    source: 'RFC 7519 §4.1.4',
    code: 'token_malformed',
    forge: (k) => real(k, { exp: true }),
  },
  {
    name: 'exp null',
    source: 'RFC 7519 §4.1.4',
    code: 'token_malformed',
    forge: (k) => real(k, { exp: null }),
  },
  {
    name: 'exp overflowing to Infinity (1e400)',
    source: 'RFC 7519 §2 NumericDate',
    code: 'token_malformed',
    forge: (k) => signRsa(header(k), payload(k).replace(/"exp":\d+/, '"exp":1e400'), k.realKey),
  },
  {
    name: 'exp missing',
    source: 'RFC 9068 §2.2',
    code: 'token_malformed',
    forge: (k) => signRsa(header(k), json(withoutKey(k.claims, 'exp')), k.realKey),
  },
  {
    name: 'exp in the past',
    source: 'RFC 7519 §4.1.4',
    code: 'token_expired',
    forge: (k) => real(k, { exp: Math.floor(Date.now() / 1000) - 3600 }),
  },
  {
    name: 'nbf in the future',
    source: 'RFC 7519 §4.1.5',
    code: 'token_not_yet_valid',
    forge: (k) => real(k, { nbf: Math.floor(Date.now() / 1000) + 3600 }),
  },
  {
    name: 'nbf as a string',
    source: 'RFC 7519 §4.1.5',
    code: 'token_malformed',
    forge: (k) => real(k, { nbf: '0' }),
  },
  {
    name: 'iat in the future',
    source: 'RFC 9068 §4',
    code: 'token_not_yet_valid',
    forge: (k) => real(k, { iat: Math.floor(Date.now() / 1000) + 3600 }),
  },
  {
    name: 'iss as an array',
    source: 'RFC 7519 §4.1.1',
    code: 'issuer_unknown',
    forge: (k) => real(k, { iss: [k.claims.iss] }),
  },
  {
    name: 'iss missing',
    source: 'RFC 7519 §4.1.1',
    code: 'issuer_unknown',
    forge: (k) => real(k, { iss: undefined }),
  },
  {
    name: 'iss with a trailing slash',
    source: 'OIDC Core §3.1.3.7',
    code: 'issuer_unknown',
    forge: (k) => real(k, { iss: `${k.claims.iss}/` }),
  },
  {
    name: 'iss with a zero-width space',
    source: 'unicode trick',
    code: 'issuer_unknown',
    forge: (k) => real(k, { iss: `${k.claims.iss}\u200b` }),
  },
  {
    name: 'iss in upper case',
    source: 'RFC 3986 §6.2.2',
    code: 'issuer_unknown',
    forge: (k) => real(k, { iss: String(k.claims.iss).toUpperCase() }),
  },
  {
    name: 'sub as a number',
    source: 'RFC 7519 §4.1.2',
    code: 'token_malformed',
    forge: (k) => real(k, { sub: 42 }),
  },
  {
    name: 'sub empty',
    source: 'RFC 7519 §4.1.2',
    code: 'token_malformed',
    forge: (k) => real(k, { sub: '' }),
  },
  {
    name: 'sub missing',
    source: 'RFC 9068 §2.2',
    code: 'token_malformed',
    forge: (k) => real(k, { sub: undefined }),
  },
  // ── token substitution (RFC 8725 §3.11, RFC 9068 §4) ─────────────────────────────────────
  {
    name: 'refresh token as access token',
    source: 'RFC 8725 §3.11',
    code: 'token_type_invalid',
    forge: (k) => k.idp.refreshToken({ sub: String(k.claims.sub) }),
  },
  {
    name: 'ID token as access token',
    source: 'RFC 8725 §3.11',
    code: 'token_type_invalid',
    forge: (k) => k.idp.idToken({ sub: String(k.claims.sub) }),
  },
  {
    name: 'logout token as access token',
    source: 'RFC 8725 §3.11',
    code: 'token_type_invalid',
    forge: (k) => k.idp.logoutToken({ sub: String(k.claims.sub) }),
  },
  {
    name: 'header typ secevent+jwt',
    source: 'RFC 8725 §3.11',
    code: 'token_type_invalid',
    forge: (k) => real(k, {}, { typ: 'secevent+jwt' }),
  },
  {
    name: 'claim typ ID under a valid signature',
    source: 'Keycloak typ',
    code: 'token_type_invalid',
    forge: (k) => real(k, { typ: 'ID' }),
  },
  // ── sender constraint the API cannot check (RFC 7800 §3.1, RFC 8705 §3) ────────────────
  {
    name: 'certificate-bound token (cnf x5t#S256) sent without its certificate',
    source: 'RFC 8705 §3',
    code: 'token_binding_mismatch',
    forge: (k) => real(k, { cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } }),
  },
  {
    name: 'cnf with an embedded key instead of a thumbprint',
    source: 'RFC 7800 §3.2',
    code: 'token_binding_mismatch',
    forge: (k) => real(k, { cnf: { jwk: k.realPublicJwk } }),
  },
];
