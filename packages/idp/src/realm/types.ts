/**
 * The subset of Keycloak's realm representation (the `--import-realm` JSON format) that the
 * development identity provider understands. Anything outside it is rejected by `loadRealm`.
 */
export interface RealmRepresentation {
  realm?: string;
  accessTokenLifespan?: number;
  ssoSessionIdleTimeout?: number;
  ssoSessionMaxLifespan?: number;
  roles?: {
    realm?: RoleRepresentation[];
    client?: Record<string, RoleRepresentation[]>;
  };
  groups?: GroupRepresentation[];
  clients?: ClientRepresentation[];
  users?: UserRepresentation[];
  [field: string]: unknown;
}

export interface RoleRepresentation {
  name?: string;
  composite?: boolean;
  composites?: { realm?: string[]; client?: Record<string, string[]> };
  [field: string]: unknown;
}

export interface GroupRepresentation {
  name?: string;
  realmRoles?: string[];
  clientRoles?: Record<string, string[]>;
  attributes?: Record<string, string[]>;
  subGroups?: GroupRepresentation[];
  [field: string]: unknown;
}

export interface ClientRepresentation {
  clientId?: string;
  publicClient?: boolean;
  secret?: string;
  redirectUris?: string[];
  webOrigins?: string[];
  standardFlowEnabled?: boolean;
  directAccessGrantsEnabled?: boolean;
  serviceAccountsEnabled?: boolean;
  attributes?: Record<string, string>;
  protocolMappers?: ProtocolMapperRepresentation[];
  [field: string]: unknown;
}

export interface ProtocolMapperRepresentation {
  name?: string;
  protocol?: string;
  protocolMapper?: string;
  config?: Record<string, string>;
  [field: string]: unknown;
}

export interface UserRepresentation {
  id?: string;
  username?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  enabled?: boolean;
  credentials?: { type?: string; value?: string; [field: string]: unknown }[];
  realmRoles?: string[];
  clientRoles?: Record<string, string[]>;
  groups?: string[];
  attributes?: Record<string, string[]>;
  [field: string]: unknown;
}

/** Which token a protocol mapper adds its claim to (Keycloak's `*.token.claim` switches). */
export interface MapperTargets {
  accessToken: boolean;
  idToken: boolean;
  userinfo: boolean;
  introspection: boolean;
}

/** An `oidc-usermodel-attribute-mapper`: copies a user attribute into a claim. */
export interface AttributeMapper extends MapperTargets {
  userAttribute: string;
  claimName: string;
  multivalued: boolean;
}

/** A client of the realm, normalized. */
export interface RealmClient {
  clientId: string;
  publicClient: boolean;
  secret: string | undefined;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  webOrigins: string[];
  standardFlow: boolean;
  directAccessGrants: boolean;
  serviceAccount: boolean;
  deviceGrant: boolean;
  /** `S256` when the realm requires PKCE for this client. */
  pkceMethod: 'S256' | undefined;
  backchannelLogoutUrl: string | undefined;
  backchannelLogoutSessionRequired: boolean;
  /** Audiences added by `oidc-audience-mapper`s (access token). */
  audiences: string[];
  attributeMappers: AttributeMapper[];
}

/** A user of the realm with roles and attributes already resolved through groups and composites. */
export interface RealmUser {
  id: string;
  username: string;
  email: string | undefined;
  emailVerified: boolean;
  firstName: string | undefined;
  lastName: string | undefined;
  enabled: boolean;
  password: string | undefined;
  /** Effective realm roles (composites expanded). */
  realmRoles: string[];
  /** Effective client roles per client id (composites expanded). */
  clientRoles: Record<string, string[]>;
  attributes: Record<string, string[]>;
  /** Set on a client's service-account user (no password: it never signs in interactively). */
  serviceAccountClientId: string | undefined;
}

/** A loaded, validated realm. */
export interface Realm {
  name: string;
  /** Seconds. */
  accessTokenLifespan: number;
  /** Seconds; also the refresh token lifetime, as in Keycloak (bounded by the max lifespan). */
  ssoSessionIdleTimeout: number;
  /** Seconds after sign-in at which a session ends however active it is, as in Keycloak. */
  ssoSessionMaxLifespan: number;
  clients: ReadonlyMap<string, RealmClient>;
  users: ReadonlyMap<string, RealmUser>;
}
