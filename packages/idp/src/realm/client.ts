import {
  array,
  bool,
  boolString,
  invalid,
  object,
  onlyKeys,
  optionalString,
  string,
  strings,
} from './check.js';
import type { AttributeMapper, RealmClient } from './types.js';

const CLIENT_FIELDS = [
  'clientId',
  'name',
  'description',
  'enabled',
  'protocol',
  'publicClient',
  'secret',
  'clientAuthenticatorType',
  'redirectUris',
  'webOrigins',
  'rootUrl',
  'baseUrl',
  'standardFlowEnabled',
  'implicitFlowEnabled',
  'directAccessGrantsEnabled',
  'serviceAccountsEnabled',
  'consentRequired',
  'bearerOnly',
  'frontchannelLogout',
  'fullScopeAllowed',
  'attributes',
  'protocolMappers',
] as const;

const CLIENT_ATTRIBUTES = [
  'pkce.code.challenge.method',
  'backchannel.logout.url',
  'backchannel.logout.session.required',
  'backchannel.logout.revoke.offline.tokens',
  'post.logout.redirect.uris',
  'oauth2.device.authorization.grant.enabled',
  'dpop.bound.access.tokens',
] as const;

const MAPPER_FIELDS = ['name', 'protocol', 'protocolMapper', 'consentRequired', 'config'] as const;
const TARGETS = [
  'id.token.claim',
  'access.token.claim',
  'userinfo.token.claim',
  'introspection.token.claim',
  'lightweight.claim',
] as const;
const AUDIENCE_CONFIG = ['included.client.audience', 'included.custom.audience', ...TARGETS];
const ATTRIBUTE_CONFIG = [
  'user.attribute',
  'claim.name',
  'jsonType.label',
  'multivalued',
  'aggregate.attrs',
  ...TARGETS,
];

/** Features a realm may name only with the value the dev IdP implements. */
function mustBe(value: unknown, expected: unknown, path: string) {
  if (value !== undefined && value !== expected) {
    invalid(path, `must be ${JSON.stringify(expected)} (only that is supported)`);
  }
}

/**
 * The client's protocol mappers the dev IdP implements: audience mappers (their audiences) and
 * user-attribute mappers; any other mapper is refused.
 */
function parseMappers(
  raw: unknown,
  path: string,
): { audiences: string[]; attributeMappers: AttributeMapper[] } {
  const audiences: string[] = [];
  const attributeMappers: AttributeMapper[] = [];
  array(raw, `${path}.protocolMappers`).forEach((rawMapper, i) => {
    const mpath = `${path}.protocolMappers[${i}]`;
    const m = object(rawMapper, mpath);
    onlyKeys(m, MAPPER_FIELDS, mpath);
    mustBe(m.protocol, 'openid-connect', `${mpath}.protocol`);
    const config = object(m.config ?? {}, `${mpath}.config`);
    const target = (key: string, fallback: boolean) =>
      boolString(config[key], `${mpath}.config["${key}"]`, fallback);
    switch (m.protocolMapper) {
      case 'oidc-audience-mapper': {
        onlyKeys(config, AUDIENCE_CONFIG, `${mpath}.config`);
        if (!target('access.token.claim', true)) break;
        const aud =
          optionalString(config['included.client.audience'], `${mpath}.config`) ||
          optionalString(config['included.custom.audience'], `${mpath}.config`);
        if (!aud) invalid(`${mpath}.config["included.client.audience"]`, 'is required');
        audiences.push(aud);
        break;
      }
      case 'oidc-usermodel-attribute-mapper': {
        onlyKeys(config, ATTRIBUTE_CONFIG, `${mpath}.config`);
        const jsonType = config['jsonType.label'];
        if (jsonType !== undefined && jsonType !== 'String') {
          invalid(`${mpath}.config["jsonType.label"]`, 'must be "String"');
        }
        attributeMappers.push({
          userAttribute: string(config['user.attribute'], `${mpath}.config["user.attribute"]`),
          claimName: string(config['claim.name'], `${mpath}.config["claim.name"]`),
          multivalued: target('multivalued', false),
          accessToken: target('access.token.claim', true),
          idToken: target('id.token.claim', true),
          userinfo: target('userinfo.token.claim', true),
          introspection: target('introspection.token.claim', true),
        });
        break;
      }
      default:
        invalid(
          `${mpath}.protocolMapper`,
          'must be "oidc-audience-mapper" or "oidc-usermodel-attribute-mapper"',
        );
    }
  });
  return { audiences, attributeMappers };
}

/** The client's back-channel logout settings (OpenID Connect Back-Channel Logout 1.0 §2.2). */
function parseBackchannelLogout(
  c: Record<string, unknown>,
  attrs: Record<string, unknown>,
  path: string,
): Pick<RealmClient, 'backchannelLogoutUrl' | 'backchannelLogoutSessionRequired'> {
  const apath = (key: string) => `${path}.attributes["${key}"]`;
  const backchannelLogoutUrl =
    optionalString(attrs['backchannel.logout.url'], apath('backchannel.logout.url')) || undefined;
  if (backchannelLogoutUrl !== undefined && !URL.canParse(backchannelLogoutUrl)) {
    invalid(apath('backchannel.logout.url'), 'must be an absolute URL');
  }
  // Back-Channel Logout 1.0 §2.2: the logout token is POSTed there over HTTP, and the URL has
  // no fragment. oidc-provider would otherwise refuse every grant of the client at run time.
  const parsed = backchannelLogoutUrl === undefined ? undefined : new URL(backchannelLogoutUrl);
  if (parsed && !['http:', 'https:'].includes(parsed.protocol))
    invalid(apath('backchannel.logout.url'), 'must be an http or https URL');
  if (parsed && backchannelLogoutUrl?.includes('#'))
    invalid(apath('backchannel.logout.url'), 'must not have a fragment (#…)');
  // Keycloak sends a client with front-channel logout on no back-channel logout token at all
  // (AuthenticationManager.backchannelLogoutClientSession), whatever its URL says: a realm
  // this server would notify and Keycloak would not is refused rather than imitated.
  const frontchannelLogout = bool(c.frontchannelLogout, `${path}.frontchannelLogout`, false);
  if (backchannelLogoutUrl !== undefined && frontchannelLogout) {
    invalid(
      `${path}.frontchannelLogout`,
      'must be false with a backchannel.logout.url: Keycloak sends no back-channel logout to a client with front-channel logout on',
    );
  }
  return {
    backchannelLogoutUrl,
    backchannelLogoutSessionRequired: boolString(
      attrs['backchannel.logout.session.required'],
      apath('backchannel.logout.session.required'),
      true,
    ),
  };
}

/** Validates and normalizes one entry of `clients`. */
export function parseClient(raw: unknown, path: string): RealmClient & { enabled: boolean } {
  const c = object(raw, path);
  onlyKeys(c, CLIENT_FIELDS, path);
  const clientId = string(c.clientId, `${path}.clientId`);
  mustBe(c.protocol, 'openid-connect', `${path}.protocol`);
  mustBe(c.implicitFlowEnabled, false, `${path}.implicitFlowEnabled`);
  mustBe(c.consentRequired, false, `${path}.consentRequired`);
  mustBe(c.bearerOnly, false, `${path}.bearerOnly`);
  mustBe(c.clientAuthenticatorType, 'client-secret', `${path}.clientAuthenticatorType`);

  const publicClient = bool(c.publicClient, `${path}.publicClient`, false);
  const secret = optionalString(c.secret, `${path}.secret`);
  if (!publicClient && !secret) invalid(`${path}.secret`, 'is required for a confidential client');

  const attrs = object(c.attributes ?? {}, `${path}.attributes`);
  onlyKeys(attrs, CLIENT_ATTRIBUTES, `${path}.attributes`);
  const apath = (key: string) => `${path}.attributes["${key}"]`;
  const pkce = optionalString(
    attrs['pkce.code.challenge.method'],
    apath('pkce.code.challenge.method'),
  );
  if (pkce !== undefined && pkce !== '' && pkce !== 'S256') {
    invalid(apath('pkce.code.challenge.method'), 'must be "S256" (plain is not supported)');
  }
  const redirectUris = strings(c.redirectUris, `${path}.redirectUris`);
  const postLogout = optionalString(
    attrs['post.logout.redirect.uris'],
    apath('post.logout.redirect.uris'),
  );
  // Keycloak stores this list "##"-separated; "+" means "the same as the redirect URIs".
  const postLogoutRedirectUris = (postLogout ?? '')
    .split('##')
    .filter((uri) => uri !== '')
    .flatMap((uri) => (uri === '+' ? redirectUris : [uri]));
  const backchannel = parseBackchannelLogout(c, attrs, path);

  const { audiences, attributeMappers } = parseMappers(c.protocolMappers, path);

  return {
    clientId,
    enabled: bool(c.enabled, `${path}.enabled`, true),
    publicClient,
    secret: publicClient ? undefined : secret,
    redirectUris,
    postLogoutRedirectUris,
    webOrigins: strings(c.webOrigins, `${path}.webOrigins`),
    standardFlow: bool(c.standardFlowEnabled, `${path}.standardFlowEnabled`, true),
    directAccessGrants: bool(
      c.directAccessGrantsEnabled,
      `${path}.directAccessGrantsEnabled`,
      false,
    ),
    serviceAccount: bool(c.serviceAccountsEnabled, `${path}.serviceAccountsEnabled`, false),
    deviceGrant: boolString(
      attrs['oauth2.device.authorization.grant.enabled'],
      apath('oauth2.device.authorization.grant.enabled'),
      false,
    ),
    pkceMethod: pkce === 'S256' ? 'S256' : undefined,
    dpopBound: boolString(
      attrs['dpop.bound.access.tokens'],
      apath('dpop.bound.access.tokens'),
      false,
    ),
    ...backchannel,
    audiences,
    attributeMappers,
  };
}
