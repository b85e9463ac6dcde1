import type Provider from 'oidc-provider';

interface IdTokenModel {
  available: Record<string, unknown>;
  extra: Record<string, unknown>;
  set(key: string, value: unknown): void;
  issue(options?: { use?: string }): Promise<string>;
}

/**
 * Keycloak puts `auth_time` and `sid` in every ID token, whatever the flow (code, device,
 * password, refresh); oidc-provider adds `auth_time` only when the request asked for it
 * (`max_age`, `claims`) and `sid` only for clients that require it for front- or back-channel
 * logout. Relying parties use both: `auth_time` to judge how fresh the sign-in is (OpenID Connect
 * Core §2), `sid` to match a back-channel logout token (Back-Channel Logout 1.0 §2.4) and an
 * `id_token_hint` to the session it came from.
 */
export function alwaysIncludeSessionClaims(provider: Provider): void {
  // Every client gets `sid` in its codes, device codes, refresh tokens and so its ID tokens.
  const client = provider.Client.prototype as unknown as { includeSid(): boolean };
  client.includeSid = () => true;

  const proto = provider.IdToken.prototype as unknown as IdTokenModel;
  const issue = proto.issue;
  proto.issue = async function issueWithAuthTime(this: IdTokenModel, options) {
    const authTime = this.available.auth_time;
    if (options?.use === 'idtoken' && this.extra.auth_time === undefined) {
      if (typeof authTime === 'number') this.set('auth_time', authTime);
    }
    return issue.call(this, options);
  };
}
