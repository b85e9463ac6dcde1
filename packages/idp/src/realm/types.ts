import type { RegistrationPolicy } from '../registration/policy.js';
import type { OtpCredential, OtpPolicy } from './otp.js';
import type { RoleGraph, RoleRef } from './roles.js';
import type { SecuritySettings } from './security.js';
import type { UserProfile } from './user-profile.js';

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
  requiredActions?: string[];
  serviceAccountClientId?: string;
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
  /**
   * Keycloak's "Require DPoP bound tokens" (`dpop.bound.access.tokens`): every token request of
   * this client must carry a DPoP proof (RFC 9449 §5), so its access tokens are always bound.
   */
  dpopBound: boolean;
  backchannelLogoutUrl: string | undefined;
  backchannelLogoutSessionRequired: boolean;
  /** Audiences added by `oidc-audience-mapper`s (access token). */
  audiences: string[];
  attributeMappers: AttributeMapper[];
}

/**
 * What an administrator sets on a user directly (Keycloak's role mappings, group memberships and
 * user attributes); the effective roles and attributes follow from it.
 */
export interface UserMappings {
  realmRoles: string[];
  clientRoles: Record<string, string[]>;
  /** Group paths (`/staff/engineering`). */
  groups: string[];
  attributes: Record<string, string[]>;
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
  /** Epoch milliseconds (Keycloak's `createdTimestamp`). */
  createdTimestamp: number;
  /** A password from the realm file, in clear as Keycloak's import takes it. */
  password: string | undefined;
  /** A password set through the admin API: `scrypt$<salt>$<hash>` (base64url). */
  passwordHash?: string | undefined;
  /** Keycloak required actions still to do at the next sign-in (`CONFIGURE_TOTP`, …). */
  requiredActions: string[];
  otp: OtpCredential[];
  /** The client whose service account this user is (such users cannot sign in). */
  serviceAccountClientId?: string | undefined;
  direct: UserMappings;
  /** Effective realm roles (composites expanded). */
  realmRoles: string[];
  /** Effective client roles per client id (composites expanded). */
  clientRoles: Record<string, string[]>;
  attributes: Record<string, string[]>;
}

/** A loaded, validated realm (with its brute-force and refresh-token settings). */
export interface Realm extends SecuritySettings {
  name: string;
  /** Seconds. */
  accessTokenLifespan: number;
  /** Seconds; also the refresh token lifetime, as in Keycloak (bounded by the max lifespan). */
  ssoSessionIdleTimeout: number;
  /** Seconds after sign-in at which a session ends however active it is, as in Keycloak. */
  ssoSessionMaxLifespan: number;
  clients: ReadonlyMap<string, RealmClient>;
  /** Users by username; live (the admin API changes it). */
  users: ReadonlyMap<string, RealmUser>;
  /** The same users by id. */
  usersById: ReadonlyMap<string, RealmUser>;
  otpPolicy: OtpPolicy;
  /** Anonymous dynamic client registration (Keycloak's client registration policies). */
  registrationPolicy: RegistrationPolicy;
  /** Which attributes an administrator may see and change (Keycloak's user profile). */
  userProfile: UserProfile;
  /** `acr.loa.map`: acr name → level of authentication (1 password, 2 password and OTP). */
  acrLoaMap: Record<string, number>;
  /** Roles and groups, to resolve a user's effective roles after a change. */
  model: RealmModel;
}

/** A declared role (realm role when `client` is undefined). */
export interface RoleDefinition {
  client: string | undefined;
  name: string;
  description: string | undefined;
  composite: boolean;
}

/** A group's roles and attributes, its parents' included. */
export interface GroupInfo {
  roles: RoleRef[];
  attributes: Record<string, string[]>;
}

/** The parts of a realm that decide a user's effective roles and attributes. */
export interface RealmModel {
  graph: RoleGraph;
  roles: RoleDefinition[];
  groups: ReadonlyMap<string, GroupInfo>;
}
