import { createHmac } from 'node:crypto';
import { Browser, decodeJwt, form, formAction, pkce, redeemCode, type TestIdp } from './helpers.js';

export const REDIRECT = 'http://localhost:3000/callback';
/** The development OTP secret of `admin` in the realm file (its UTF-8 bytes are the key). */
export const ADMIN_OTP_SECRET = 'devonlyadminotpkey12';

/**
 * An RFC 6238 code written out independently of the IdP's own implementation (HMAC-SHA1,
 * 6 digits, 30 s), `offset` time steps from now.
 */
export function totpCode(key: Buffer, offset = 0, nowMs = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / 30_000) + offset));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = (mac[19] as number) & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

export function base32ToBuffer(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/[\s=]/g, ''))
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => Number.parseInt(b, 2)));
}

/** A page of the sign-in: where it is and what it shows. */
export interface Step {
  url: string;
  status: number;
  html: string;
  /** Set when the flow reached the client's redirect URI. */
  code?: string | undefined;
}

/** Drives the browser sign-in of `todo-ui` through the IdP's pages. */
export class SignIn {
  readonly browser = new Browser();
  readonly #idp: TestIdp;
  #verifier = '';

  constructor(idp: TestIdp) {
    this.#idp = idp;
  }

  /** Starts an authorization request with extra parameters (`acr_values`, `max_age`, …). */
  async start(extra: Record<string, string> = {}): Promise<Step> {
    const { verifier, challenge } = pkce();
    this.#verifier = verifier;
    const params = new URLSearchParams({
      client_id: 'todo-ui',
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid profile email',
      state: 's',
      nonce: 'n',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    const { url, res } = await this.browser.follow(
      `${this.#idp.discovery.authorization_endpoint}?${params}`,
      REDIRECT,
    );
    return this.#step(url, res);
  }

  /** Submits the form of `step` with `values`. */
  async submit(step: Step, values: Record<string, string>): Promise<Step> {
    const posted = await this.browser.fetch(formAction(step.html, step.url), form(values));
    if (posted.status === 200) return { url: step.url, status: 200, html: await posted.text() };
    const location = new URL(posted.headers.get('location') as string, step.url).href;
    const { url, res } = await this.browser.follow(location, REDIRECT);
    return this.#step(url, res);
  }

  /** Redeems the code the flow ended with; returns the token response and decoded tokens. */
  async tokens(step: Step) {
    const { status, body } = await redeemCode(this.#idp, step.code, this.#verifier, REDIRECT);
    if (status !== 200) throw new Error(`token request failed: ${JSON.stringify(body)}`);
    return {
      body,
      access: decodeJwt(body.access_token as string).payload,
      id: decodeJwt(body.id_token as string).payload,
    };
  }

  async #step(url: string, res: Response): Promise<Step> {
    if (url.startsWith(REDIRECT)) {
      return {
        url,
        status: res.status,
        html: '',
        code: new URL(url).searchParams.get('code') ?? undefined,
      };
    }
    return { url, status: res.status, html: await res.text() };
  }
}

/** Which page a step shows, by the ids Keycloak's pages use. */
export function pageOf(
  step: Step,
): 'login' | 'otp' | 'configure-totp' | 'update-password' | 'done' | 'other' {
  if (step.code) return 'done';
  if (step.html.includes('id="kc-form-login"')) return 'login';
  if (step.html.includes('id="kc-otp-login-form"')) return 'otp';
  if (step.html.includes('id="kc-totp-settings-form"')) return 'configure-totp';
  if (step.html.includes('id="kc-passwd-update-form"')) return 'update-password';
  return 'other';
}
