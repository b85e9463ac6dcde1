import { createHash } from 'node:crypto';
import type { RealmClient, RealmUser, RoleDefinition } from '../realm/types.js';
import { adminCanView, type UserProfile } from '../realm/user-profile.js';

/** A UUID-shaped id derived from a name, stable across restarts (roles, clients and groups). */
export function stableUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-b${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The internal id of a client (Keycloak's `id`, as opposed to its `clientId`). */
export function clientUuid(clientId: string): string {
  return stableUuid('client', clientId);
}

export function roleId(role: { client: string | undefined; name: string }): string {
  return stableUuid('role', role.client ?? '', role.name);
}

export function groupId(path: string): string {
  return stableUuid('group', path);
}

/** Keycloak's `RoleRepresentation`. */
export function roleRepresentation(role: RoleDefinition, realmName: string) {
  return {
    id: roleId(role),
    name: role.name,
    ...(role.description !== undefined ? { description: role.description } : {}),
    composite: role.composite,
    clientRole: role.client !== undefined,
    containerId: role.client === undefined ? realmName : clientUuid(role.client),
  };
}

/** Keycloak's brief `UserRepresentation` (`briefRepresentation=true`). */
export function briefUser(user: RealmUser) {
  return {
    id: user.id,
    username: user.username,
    ...(user.firstName !== undefined ? { firstName: user.firstName } : {}),
    ...(user.lastName !== undefined ? { lastName: user.lastName } : {}),
    ...(user.email !== undefined ? { email: user.email } : {}),
    emailVerified: user.emailVerified,
    createdTimestamp: user.createdTimestamp,
    enabled: user.enabled,
  };
}

/**
 * Keycloak's full `UserRepresentation`: the user's own attributes an administrator may see under
 * the realm's user profile, never their credentials.
 */
export function fullUser(user: RealmUser, canManage: boolean, profile: UserProfile) {
  const attributes = Object.fromEntries(
    Object.entries(user.direct.attributes)
      .filter(([name]) => adminCanView(profile, name))
      .map(([name, values]) => [name, [...values]]),
  );
  return {
    ...briefUser(user),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    totp: user.otp.length > 0,
    disableableCredentialTypes: user.otp.length > 0 ? ['otp'] : [],
    requiredActions: [...user.requiredActions],
    notBefore: 0,
    access: {
      manageGroupMembership: canManage,
      view: true,
      mapRoles: canManage,
      impersonate: false,
      manage: canManage,
    },
  };
}

/** Keycloak's `ClientRepresentation`, as an administrator who may view clients sees it. */
export function clientRepresentation(client: RealmClient) {
  return {
    id: clientUuid(client.clientId),
    clientId: client.clientId,
    enabled: true,
    protocol: 'openid-connect',
    publicClient: client.publicClient,
    bearerOnly: false,
    standardFlowEnabled: client.standardFlow,
    directAccessGrantsEnabled: client.directAccessGrants,
    serviceAccountsEnabled: client.serviceAccount,
    redirectUris: [...client.redirectUris],
    webOrigins: [...client.webOrigins],
  };
}
