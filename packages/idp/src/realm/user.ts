import { createHash } from 'node:crypto';
import {
  array,
  bool,
  invalid,
  object,
  onlyKeys,
  optionalString,
  string,
  stringListMap,
  strings,
} from './check.js';
import { type OtpCredential, parseOtpCredential } from './otp.js';
import { resolveMappings } from './resolve.js';
import type { RealmModel, RealmUser } from './types.js';

const USER_FIELDS = [
  'id',
  'username',
  'email',
  'emailVerified',
  'firstName',
  'lastName',
  'enabled',
  'credentials',
  'realmRoles',
  'clientRoles',
  'groups',
  'attributes',
  'requiredActions',
  'serviceAccountClientId',
  'createdTimestamp',
] as const;
const CREDENTIAL_FIELDS = ['type', 'value', 'temporary'] as const;
/** The required actions the dev IdP performs at sign-in. */
export const REQUIRED_ACTIONS = ['CONFIGURE_TOTP', 'UPDATE_PASSWORD'] as const;

/** Validates and resolves one entry of `users`. */
export function parseUser(raw: unknown, path: string, realm: string, model: RealmModel): RealmUser {
  const u = object(raw, path);
  onlyKeys(u, USER_FIELDS, path);
  const username = string(u.username, `${path}.username`);
  const id = optionalString(u.id, `${path}.id`) || stableId(realm, username);
  let password: string | undefined;
  const otp: OtpCredential[] = [];
  array(u.credentials, `${path}.credentials`).forEach((rawCred, i) => {
    const cpath = `${path}.credentials[${i}]`;
    const cred = object(rawCred, cpath);
    if (cred.type === 'otp') {
      otp.push(parseOtpCredential(cred, cpath, id));
      return;
    }
    onlyKeys(cred, CREDENTIAL_FIELDS, cpath);
    if (cred.type !== 'password') invalid(`${cpath}.type`, 'must be "password" or "otp"');
    if (cred.temporary === true) invalid(`${cpath}.temporary`, 'must be false');
    password = string(cred.value, `${cpath}.value`);
  });
  const requiredActions = strings(u.requiredActions, `${path}.requiredActions`);
  for (const [i, action] of requiredActions.entries()) {
    if (!(REQUIRED_ACTIONS as readonly string[]).includes(action)) {
      invalid(`${path}.requiredActions[${i}]`, `must be one of ${REQUIRED_ACTIONS.join(', ')}`);
    }
  }
  const direct = {
    realmRoles: strings(u.realmRoles, `${path}.realmRoles`),
    clientRoles: stringListMap(u.clientRoles, `${path}.clientRoles`),
    groups: strings(u.groups, `${path}.groups`),
    attributes: stringListMap(u.attributes, `${path}.attributes`),
  };
  const created = u.createdTimestamp ?? 0;
  if (typeof created !== 'number') invalid(`${path}.createdTimestamp`, 'must be a number');

  return {
    id,
    username,
    email: optionalString(u.email, `${path}.email`),
    emailVerified: bool(u.emailVerified, `${path}.emailVerified`, false),
    firstName: optionalString(u.firstName, `${path}.firstName`),
    lastName: optionalString(u.lastName, `${path}.lastName`),
    enabled: bool(u.enabled, `${path}.enabled`, true),
    createdTimestamp: created,
    password,
    requiredActions,
    otp,
    serviceAccountClientId: optionalString(
      u.serviceAccountClientId,
      `${path}.serviceAccountClientId`,
    ),
    direct,
    ...resolveMappings(model, direct, path),
  };
}

/** A UUID-shaped subject derived from realm and username, stable across restarts. */
function stableId(realm: string, username: string): string {
  const h = createHash('sha256').update(`${realm}\0${username}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
