import { readFileSync } from 'node:fs';
import { IdpError } from '../errors.js';
import { POLICY_COMPONENT, parseRegistrationPolicy } from '../registration/policy.js';
import { defineBuiltinRoles } from './builtin.js';
import {
  array,
  invalid,
  object,
  onlyKeys,
  optionalString,
  positiveInt,
  string,
  stringListMap,
  strings,
} from './check.js';
import { parseClient } from './client.js';
import { OTP_POLICY_FIELDS, parseAcrLoaMap, parseOtpPolicy } from './otp.js';
import { RoleGraph, type RoleRef } from './roles.js';
import { parseSecurity, SECURITY_FIELDS } from './security.js';
import type {
  GroupInfo,
  Realm,
  RealmClient,
  RealmModel,
  RealmRepresentation,
  RealmUser,
  RoleDefinition,
} from './types.js';
import { parseUser } from './user.js';
import { parseUserProfile, USER_PROFILE_COMPONENT } from './user-profile.js';

const REALM_FIELDS = [
  'realm',
  'displayName',
  'enabled',
  'sslRequired',
  'registrationAllowed',
  'loginWithEmailAllowed',
  'resetPasswordAllowed',
  'accessTokenLifespan',
  'ssoSessionIdleTimeout',
  'ssoSessionMaxLifespan',
  'roles',
  'groups',
  'clients',
  'users',
  ...SECURITY_FIELDS,
  'attributes',
  'components',
  ...OTP_POLICY_FIELDS,
] as const;
const REALM_ATTRIBUTES = ['acr.loa.map'];
const ROLE_FIELDS = ['name', 'description', 'composite', 'composites', 'clientRole'] as const;
const GROUP_FIELDS = ['name', 'path', 'realmRoles', 'clientRoles', 'attributes', 'subGroups'];

type Group = GroupInfo;

/**
 * Reads and validates a Keycloak realm export (the file a real Keycloak imports with
 * `--import-realm`), keeping to the subset the development identity provider implements.
 *
 * @throws {IdpError} `ERR_REALM_UNSUPPORTED` naming a field outside the subset,
 *   `ERR_REALM_INVALID` naming a malformed field, `ERR_REALM_READ` when the file is unreadable.
 * @example
 * const realm = loadRealm('deploy/keycloak/realm-todo-app.json');
 * realm.users.get('alice')?.realmRoles; // ['user']
 */
export function loadRealm(source: RealmRepresentation | string): Realm {
  const raw = typeof source === 'string' ? readRealmFile(source) : source;
  const r = object(raw, '(realm)');
  onlyKeys(r, REALM_FIELDS, '');

  const { graph, definitions } = parseRoles(r.roles);
  const groups = parseGroups(r.groups, graph);

  const clients = new Map<string, RealmClient>();
  array(r.clients, 'clients').forEach((rawClient, i) => {
    const { enabled, ...client } = parseClient(rawClient, `clients[${i}]`);
    if (clients.has(client.clientId)) invalid(`clients[${i}].clientId`, 'is a duplicate');
    if (enabled) clients.set(client.clientId, client);
  });

  const name = string(r.realm, 'realm');
  const model: RealmModel = { graph, roles: definitions, groups };
  const users = new Map<string, RealmUser>();
  const usersById = new Map<string, RealmUser>();
  array(r.users, 'users').forEach((rawUser, i) => {
    const user = parseUser(rawUser, `users[${i}]`, name, model);
    if (users.has(user.username)) invalid(`users[${i}].username`, 'is a duplicate');
    if (usersById.has(user.id)) invalid(`users[${i}].id`, 'is a duplicate');
    users.set(user.username, user);
    usersById.set(user.id, user);
  });
  const attributes = object(r.attributes ?? {}, 'attributes');
  onlyKeys(attributes, REALM_ATTRIBUTES, 'attributes');
  const components = object(r.components ?? {}, 'components');
  onlyKeys(components, [POLICY_COMPONENT, USER_PROFILE_COMPONENT], 'components');

  return {
    name,
    accessTokenLifespan: positiveInt(r.accessTokenLifespan, 'accessTokenLifespan', 300),
    ssoSessionIdleTimeout: positiveInt(r.ssoSessionIdleTimeout, 'ssoSessionIdleTimeout', 1800),
    // Keycloak's defaults: 30 min idle, 10 h max.
    ssoSessionMaxLifespan: positiveInt(r.ssoSessionMaxLifespan, 'ssoSessionMaxLifespan', 36000),
    ...parseSecurity(r),
    clients,
    users,
    usersById,
    otpPolicy: parseOtpPolicy(r),
    registrationPolicy: parseRegistrationPolicy(r.components),
    userProfile: parseUserProfile(components),
    acrLoaMap: parseAcrLoaMap(attributes['acr.loa.map'], 'attributes["acr.loa.map"]'),
    model,
  };
}

/**
 * The realm's roles: the built-in ones, the declared realm and client roles, then their
 * composites (declared first, so a composite may name a role declared after it).
 */
function parseRoles(raw: unknown): { graph: RoleGraph; definitions: RoleDefinition[] } {
  const graph = new RoleGraph();
  const rolesObj = object(raw ?? {}, 'roles');
  onlyKeys(rolesObj, ['realm', 'client'], 'roles');
  const clientRoleLists = object(rolesObj.client ?? {}, 'roles.client');
  const pending: { ref: RoleRef; path: string; composites: unknown }[] = [];
  const definitions: RoleDefinition[] = [];
  defineBuiltinRoles(graph, definitions);
  const declare = (list: unknown, path: string, client: string | undefined) =>
    array(list, path).forEach((rawRole, i) => {
      const rpath = `${path}[${i}]`;
      const role = object(rawRole, rpath);
      onlyKeys(role, ROLE_FIELDS, rpath);
      const ref = { client, name: string(role.name, `${rpath}.name`) };
      graph.define(ref, []);
      const known = definitions.findIndex((d) => d.client === client && d.name === ref.name);
      if (known >= 0) definitions.splice(known, 1);
      definitions.push({
        ...ref,
        description: optionalString(role.description, `${rpath}.description`),
        composite: role.composites !== undefined,
      });
      pending.push({ ref, path: rpath, composites: role.composites });
    });
  declare(rolesObj.realm, 'roles.realm', undefined);
  for (const [client, list] of Object.entries(clientRoleLists)) {
    declare(list, `roles.client.${client}`, client);
  }
  for (const { ref, path, composites } of pending) {
    graph.define(ref, roleRefs(graph, composites, `${path}.composites`));
  }
  return { graph, definitions };
}

/** The realm's groups by path (`/parent/child`), each with its own and inherited roles and attributes. */
function parseGroups(raw: unknown, graph: RoleGraph): Map<string, Group> {
  const groups = new Map<string, Group>();
  const addGroups = (list: unknown, path: string, parent: string, inherited: Group) =>
    array(list, path).forEach((rawGroup, i) => {
      const gpath = `${path}[${i}]`;
      const g = object(rawGroup, gpath);
      onlyKeys(g, GROUP_FIELDS, gpath);
      const groupPath = `${parent}/${string(g.name, `${gpath}.name`)}`;
      const group: Group = {
        roles: [
          ...inherited.roles,
          ...roleRefs(graph, { realm: g.realmRoles, client: g.clientRoles }, gpath),
        ],
        attributes: {
          ...inherited.attributes,
          ...stringListMap(g.attributes, `${gpath}.attributes`),
        },
      };
      groups.set(groupPath, group);
      addGroups(g.subGroups, `${gpath}.subGroups`, groupPath, group);
    });
  addGroups(raw, 'groups', '', { roles: [], attributes: {} });
  return groups;
}

function readRealmFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new IdpError('ERR_REALM_READ', `cannot read realm file ${file}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new IdpError('ERR_REALM_INVALID', `realm file ${file} is not valid JSON`, { cause });
  }
}

/** `{ realm: [...], client: { id: [...] } }` → role references, each checked to exist. */
function roleRefs(graph: RoleGraph, value: unknown, path: string): RoleRef[] {
  if (value === undefined) return [];
  const v = object(value, path);
  const refs: RoleRef[] = strings(v.realm, `${path}.realm`).map((name) => ({
    client: undefined,
    name,
  }));
  for (const [client, names] of Object.entries(stringListMap(v.client, `${path}.client`))) {
    refs.push(...names.map((name) => ({ client, name })));
  }
  for (const ref of refs) graph.require(ref, path);
  return refs;
}
