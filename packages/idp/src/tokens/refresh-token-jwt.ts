import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type Provider from 'oidc-provider';

interface RefreshTokenModel {
  jti: string;
  iat?: number;
  exp?: number;
  expiration: number;
  accountId?: string;
  clientId?: string;
  sid?: string;
  scope?: string;
  save(): Promise<string>;
}

/**
 * Keycloak's refresh tokens are JWTs (`typ: "Refresh"`, HMAC-signed), and keycloak-js decodes
 * them to schedule renewal; oidc-provider's are opaque. In the Keycloak profile the dev IdP hands
 * out the opaque value wrapped in such a JWT (`jti` = the stored token's id) and unwraps it
 * wherever a refresh token is looked up. The HMAC key lives in memory, like the tokens it wraps.
 */
export function wrapRefreshTokensAsJwt(provider: Provider, issuer: string): void {
  const key = randomBytes(32);
  const RefreshToken = provider.RefreshToken as unknown as {
    prototype: RefreshTokenModel;
    find(value: string, options?: unknown): Promise<unknown>;
  };
  const save = RefreshToken.prototype.save;
  RefreshToken.prototype.save = async function saveWrapped(this: RefreshTokenModel) {
    const value = await save.call(this);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      typ: 'Refresh',
      azp: this.clientId,
      sid: this.sid,
      scope: this.scope,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(issuer)
      .setSubject(this.accountId ?? '')
      .setJti(value)
      .setIssuedAt(this.iat ?? now)
      .setExpirationTime(this.exp ?? (this.iat ?? now) + this.expiration)
      .sign(key);
  };
  const find = RefreshToken.find.bind(RefreshToken);
  RefreshToken.find = async (value: string, options?: unknown) => {
    if (typeof value !== 'string' || value.split('.').length !== 3) return undefined;
    try {
      // Expiry is the stored token's business (the grant reports it), so it is not checked here.
      const { payload } = await jwtVerify(value, key, {
        issuer,
        algorithms: ['HS256'],
        currentDate: new Date(0),
      });
      return typeof payload.jti === 'string' ? find(payload.jti, options) : undefined;
    } catch {
      return undefined;
    }
  };
}
