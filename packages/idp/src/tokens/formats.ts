import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { IdpProfile } from '../profiles/profile.js';
import type { Realm } from '../realm/types.js';
import { mappedAttributes, profileClaims } from './claims.js';
import { extraTokenClaims } from './extra-claims.js';

/** What oidc-provider is told about the claims and the shape of the tokens it mints. */
type TokenSettings = Pick<Configuration, 'claims' | 'findAccount' | 'extraTokenClaims' | 'formats'>;

/**
 * The claims each scope releases, the account behind a subject, the extra claims of access
 * tokens and the last changes to a signed access token, for a realm and a profile.
 */
export function tokenSettings(realm: Realm, profile: IdpProfile): TokenSettings {
  const attributeClaims = [
    ...new Set(
      [...realm.clients.values()].flatMap((c) => c.attributeMappers.map((m) => m.claimName)),
    ),
  ];
  return {
    claims: {
      // Keycloak puts acr (its acr mapper), auth_time (the basic scope) and amr (the AMR mapper
      // the realm adds) into every ID token, asked for or not.
      openid: ['sub', 'acr', 'amr', 'auth_time', ...attributeClaims],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    async findAccount(ctx: KoaContextWithOIDC, sub: string) {
      const user = realm.usersById.get(sub);
      if (!user?.enabled) return undefined;
      return {
        accountId: sub,
        async claims(use: string) {
          const client = realm.clients.get(ctx.oidc.client?.clientId ?? '');
          const target = use === 'id_token' ? 'idToken' : 'userinfo';
          return { ...profileClaims(user), ...mappedAttributes(user, client, target), sub };
        },
      };
    },
    extraTokenClaims: extraTokenClaims(realm, profile),
    formats: {
      customizers: {
        async jwt(_ctx, token, jwt) {
          // Keycloak signs access tokens with header typ "JWT", not RFC 9068's "at+jwt".
          jwt.header = { typ: 'JWT' };
          const payload = jwt.payload as Record<string, unknown>;
          delete payload.username;
          profile.finishAccessToken(payload);
          if (token.kind === 'ClientCredentials') {
            const extra = (token as { extra?: Record<string, unknown> }).extra;
            if (extra?.sub) payload.sub = extra.sub;
            if (!profile.clientIdInServiceAccountTokens) delete payload.client_id;
          } else {
            delete payload.client_id;
          }
        },
      },
    },
  };
}
