// Why this file is long: every operation of the Admin screen against the Keycloak Admin REST
// API is one short mapping, and they share one translation of a Keycloak user into the screen's
// person; one service keeps that translation in one place.
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type RoleRepresentation from '@keycloak/keycloak-admin-client/lib/defs/roleRepresentation.js';
import type UserRepresentation from '@keycloak/keycloak-admin-client/lib/defs/userRepresentation.js';
import { ApiError } from '../http/problem.js';
import { loadedAdminClientModule } from './client-module.js';
import type { IdpAdminTarget } from './connection.js';
import { idpError } from './errors.js';
import { fewAtOnce, ROLE_READS_AT_ONCE } from './few-at-once.js';
import {
  FAR_LOOK_BACK,
  LOOK_BACK,
  MAX_USER_PAGE,
  pageStart,
  type UserPagePosition,
  userPageCursor,
  userPagePosition,
} from './user-page.js';

/** One person as the Admin screen shows them; the identity provider is the source of truth. */
export interface IdpUser {
  id: string;
  username: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  enabled: boolean;
  department: string | null;
  /** Realm roles granted directly (`user`, `admin`). */
  realmRoles: string[];
  /** The API's permissions granted directly (client roles of the API's client). */
  permissions: string[];
}

export interface NewIdpUser {
  username: string;
  email?: string | undefined;
  /** Held verified by the provider (Keycloak `emailVerified`); false unless the admin says so. */
  emailVerified?: boolean | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  department?: string | undefined;
  enabled?: boolean | undefined;
  password?: string | undefined;
  temporaryPassword?: boolean | undefined;
}

/** Realm roles an admin never hands out from here (Keycloak's built-ins). */
const BUILTIN_ROLE = /^(default-roles-.*|offline_access|uma_authorization)$/;

function first(value: unknown): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v : null;
}

/**
 * Keycloak's `GET /users?search=` matches each whitespace-separated term as a prefix of the
 * username, email, first or last name (`*` is a wildcard, `"…"` exact); the Admin screen's
 * search is any part of them, so every term is sent as `*term*`. `*` typed by the admin stays a
 * wildcard; quotes are dropped rather than turned into an exact match the screen does not offer.
 */
export function infixSearch(search: string): string {
  return search
    .replaceAll('"', ' ')
    .trim()
    .split(/\s+/)
    .map((term) => term.replace(/^\*+|\*+$/g, ''))
    .filter((term) => term !== '')
    .map((term) => `*${term}*`)
    .join(' ');
}

/**
 * The Keycloak Admin REST calls behind `/admin/idp/*`, through the official admin client.
 * Every failure leaves as an `ApiError` (503 unreachable, 409 taken, 404 unknown, 502 the
 * service account refused); a multi-call change undoes what it did when a later call fails.
 */
export class IdpAdminService {
  #apiClientUuid?: Promise<string>;
  #client?: Promise<KeycloakAdminClient>;

  /** `connect` makes the admin client, on the first call that needs it. */
  constructor(
    private readonly connect: () => Promise<KeycloakAdminClient>,
    readonly target: IdpAdminTarget,
  ) {}

  /** The admin client, made once; a failed attempt (library not loadable) is retried later. */
  private client(): Promise<KeycloakAdminClient> {
    this.#client ??= this.connect().catch((e) => {
      this.#client = undefined;
      throw e;
    });
    return this.#client;
  }

  /**
   * One page of the users matching `search` (username, email, names), with their roles:
   * `limit` at most from the position `cursor` names, and the cursor of the next page when the
   * provider has more (one more is asked for to know it). Once `page.signal` is aborted (the
   * admin's request is gone: a search replaced the list) no further person's roles are read.
   *
   * @throws {InvalidCursorError} before any call when the cursor is not one this API issued.
   */
  async listUsers(
    search: string | undefined,
    page: { limit?: number; cursor?: string; signal?: AbortSignal } = {},
  ) {
    const limit = Math.min(page.limit ?? MAX_USER_PAGE, MAX_USER_PAGE);
    const position = userPagePosition(page.cursor);
    try {
      const query = search === undefined ? '' : infixSearch(search);
      const [near, assignable] = await Promise.all([
        this.readAround(query, position, limit, LOOK_BACK),
        this.assignableRoles(),
      ]);
      // The last person shown not near the offset: more people than LOOK_BACK added or removed
      // before them meanwhile (a bulk import, a clean-up), or they were deleted. One wider read
      // finds them after as many as FAR_LOOK_BACK; one deleted is in neither, and the page
      // starts where the near read does (user-page.ts).
      const far = near.found
        ? undefined
        : await this.readAround(query, position, limit, FAR_LOOK_BACK);
      const { first, read, start } = far?.found === true ? far : near;
      const users = read.slice(start, start + limit);
      const described = await fewAtOnce(
        users,
        ROLE_READS_AT_ONCE,
        (u) => this.describeListed(u),
        page.signal,
      );
      const items = described.filter((u): u is IdpUser => u !== undefined);
      const last = users.at(-1)?.id;
      const more = read.length > start + limit && last !== undefined;
      const nextCursor = more ? userPageCursor(first + start + limit, last) : null;
      return { items, assignable, nextCursor };
    } catch (e) {
      throw idpError(e, 'Listing users', false);
    }
  }

  /**
   * The provider's users matching `query` from `lookBack` people before the position's offset
   * (Keycloak pages by offset only), and where the page starts in them: right after the last
   * person shown when they are within `lookBack` of the offset (`found`), else at the start of
   * what was read ({@link pageStart}). Without a position's anchor (the first page, a cursor of
   * the offset alone) it reads from the offset, found.
   */
  private async readAround(
    query: string,
    { offset, anchor }: UserPagePosition,
    limit: number,
    lookBack: number,
  ) {
    const back = anchor === undefined ? 0 : Math.min(offset, lookBack);
    const first = offset - back;
    const kc = await this.client();
    const read = await kc.users.find({
      ...(query ? { search: query } : {}),
      first,
      max: 2 * back + limit + 2,
      briefRepresentation: false,
    });
    const start = pageStart(read.slice(0, 2 * back + 1), anchor);
    return { first, read, start, found: anchor === undefined || start > 0 };
  }

  /** The realm roles and the API's permissions an admin may grant. */
  async assignableRoles(): Promise<{ realmRoles: string[]; permissions: string[] }> {
    const id = await this.apiClientUuid();
    const kc = await this.client();
    const [realm, client] = await Promise.all([kc.roles.find(), kc.clients.listRoles({ id })]);
    return {
      realmRoles: realm
        .map((r) => r.name ?? '')
        .filter((n) => n && !BUILTIN_ROLE.test(n))
        .sort(),
      permissions: client
        .map((r) => r.name ?? '')
        .filter(Boolean)
        .sort(),
    };
  }

  /**
   * One person with their roles. Only Keycloak's own 404 for them ("User not found") is a 404
   * ({@link personError}); any other 404 (a proxy's page, a wrong `IDP_ADMIN_URL`) is a 502.
   */
  async getUser(id: string): Promise<IdpUser> {
    try {
      const kc = await this.client();
      // Not the admin client's null for any 404: a proxy's 404 page must not read as no user.
      const user = await kc.users.findOne({ id }, { catchNotFound: false });
      if (user === undefined || user === null) throw new ApiError('not_found', 'No such user');
      return await this.describe(user);
    } catch (e) {
      throw personError(e, 'Reading the user', false);
    }
  }

  /**
   * The user after a change the IdP confirmed (and the caller audited). A failure to read them
   * back says the change was made, as it was, never that nothing changed.
   */
  async readBack(id: string, change: string): Promise<IdpUser> {
    try {
      return await this.getUser(id);
    } catch (e) {
      const error = idpError(e, 'Reading the user');
      if (error.status < 500) throw error;
      throw new ApiError(
        error.code,
        `${change} was made at the identity provider, but reading the user back failed: reload to see it`,
        { cause: error },
      );
    }
  }

  /**
   * Creates a user (with an initial password, temporary unless told otherwise) and returns its
   * id; {@link readBack} reads the user once the change is audited.
   */
  async createUser(input: NewIdpUser): Promise<string> {
    const rep: UserRepresentation = {
      username: input.username,
      enabled: input.enabled ?? true,
      ...(input.email !== undefined && {
        email: input.email,
        // An address an admin typed is not one the person proved theirs: verified only on the
        // admin's word (OpenID Connect Core §5.7 `email_verified`; sharing trusts only that).
        emailVerified: input.emailVerified === true,
      }),
      ...(input.firstName !== undefined && { firstName: input.firstName }),
      ...(input.lastName !== undefined && { lastName: input.lastName }),
      ...(input.department !== undefined && { attributes: { department: [input.department] } }),
      // One call: Keycloak stores the credential with the user or creates neither.
      ...(input.password !== undefined && {
        credentials: [
          { type: 'password', value: input.password, temporary: input.temporaryPassword ?? true },
        ],
      }),
    };
    let id: string;
    try {
      const kc = await this.client();
      ({ id } = await kc.users.create(rep));
    } catch (e) {
      throw idpError(e, `Creating ${input.username}`, false, true);
    }
    return id;
  }

  /**
   * Sets `enabled` and/or the `department` attribute (null removes it); {@link readBack} after.
   * Only Keycloak's own 404 for the person is a 404 ({@link personError}): disabling someone the
   * provider answered it does not have is taken for a person deleted there (`change-user.ts`).
   */
  async updateUser(
    id: string,
    change: { enabled?: boolean; department?: string | null },
  ): Promise<void> {
    try {
      const kc = await this.client();
      // Not the admin client's null for any 404: a proxy's 404 page must not read as no user.
      const user = await kc.users.findOne({ id }, { catchNotFound: false });
      if (user === undefined || user === null) throw new ApiError('not_found', 'No such user');
      const attributes: Record<string, unknown> = { ...(user.attributes ?? {}) };
      if (change.department === null) delete attributes.department;
      else if (change.department !== undefined) attributes.department = [change.department];
      // A PUT with `attributes` is the whole user profile to Keycloak 24+: attributes left out
      // are removed, `email`, `firstName` and `lastName` included (username is read-only). So
      // they all go back, as read, with the department changed; without `attributes` only the
      // fields sent change.
      await kc.users.update(
        { id },
        {
          ...(change.enabled !== undefined && { enabled: change.enabled }),
          ...(change.department !== undefined && {
            username: user.username,
            email: user.email,
            firstName: user.firstName,
            lastName: user.lastName,
            attributes,
          }),
        },
      );
    } catch (e) {
      throw personError(e, 'Updating the user');
    }
  }

  /**
   * Grants (`true`) or removes a realm role or one of the API's permissions; {@link readBack}
   * after. A 404 is Keycloak's own for the person ({@link personError}) or for the role, found
   * a moment before and deleted meanwhile; any other 404 is a 502 and changed nothing.
   */
  async setRole(id: string, role: string, granted: boolean): Promise<void> {
    try {
      const kc = await this.client();
      const { kind, rep } = await this.findRole(role);
      const roles = [{ id: rep.id ?? '', name: rep.name ?? role }];
      if (kind === 'realm') {
        if (granted) await kc.users.addRealmRoleMappings({ id, roles });
        else await kc.users.delRealmRoleMappings({ id, roles });
      } else {
        const clientUniqueId = await this.apiClientUuid();
        if (granted) await kc.users.addClientRoleMappings({ id, clientUniqueId, roles });
        else await kc.users.delClientRoleMappings({ id, clientUniqueId, roles });
      }
    } catch (e) {
      if (roleNotFound(e)) throw new ApiError('not_found', `No role or permission named ${role}`);
      throw personError(e, granted ? `Granting ${role}` : `Removing ${role}`);
    }
  }

  /**
   * Sets a temporary password: the person must choose a new one at the next sign-in. Only
   * Keycloak's own 404 for the person is a 404 ({@link personError}).
   */
  async resetPassword(id: string, password: string): Promise<void> {
    try {
      const kc = await this.client();
      await kc.users.resetPassword({
        id,
        credential: { type: 'password', value: password, temporary: true },
      });
    } catch (e) {
      throw personError(e, 'Setting the password');
    }
  }

  /** A person's sessions; only Keycloak's own 404 for them is a 404 ({@link personError}). */
  async listSessions(id: string) {
    try {
      const kc = await this.client();
      const sessions = await kc.users.listSessions({ id });
      return sessions.map((s) => ({
        id: s.id ?? '',
        ipAddress: s.ipAddress ?? null,
        start: s.start === undefined ? null : new Date(s.start).toISOString(),
        lastAccess: s.lastAccess === undefined ? null : new Date(s.lastAccess).toISOString(),
        clients: Object.values(s.clients ?? {}).map(String),
      }));
    } catch (e) {
      throw personError(e, 'Listing sessions', false);
    }
  }

  /**
   * Ends every session of the user at the IdP (Keycloak `POST /users/{id}/logout`). Only
   * Keycloak's own 404 for the person ("User not found") is a 404 here: the caller then takes
   * them for deleted at the provider (`end-sessions.ts`). Any other 404 (a proxy's page, an
   * unknown route) says nothing of the person and ended no session, so it is a refusal (502):
   * a wrong address must not read as a person gone whose sessions live on (fail closed).
   */
  async logout(id: string): Promise<void> {
    try {
      const kc = await this.client();
      await kc.users.logout({ id });
    } catch (e) {
      throw personError(e, 'Ending the sessions');
    }
  }

  /**
   * Revokes a person's consent to a client and what the client holds under it (Keycloak
   * `DELETE /users/{id}/consents/{client}`: its grants and refresh tokens end). False when the
   * identity provider held neither: a 404 with Keycloak's JSON error ("Consent nor offline token
   * not found", "User not found"). Any other 404 (a proxy's page, an empty body, an unknown
   * realm) says nothing of the grant, so it is a refusal (502) and the agent stays held: a
   * wrong address must not end the hold while the grant lives on (fail closed).
   */
  async revokeConsent(id: string, clientId: string): Promise<boolean> {
    try {
      const kc = await this.client();
      await kc.users.revokeConsent({ id, clientId });
      return true;
    } catch (e) {
      const error = idpError(e, 'Revoking the consent', true, true);
      if (error.status !== 404) throw error;
      if (keycloakNotFound(e)) return false;
      throw new ApiError(
        'idp_refused',
        'Revoking the consent: the identity provider answered 404 without saying that the consent or the person is gone (is IDP_ADMIN_URL right?)',
        { cause: e },
      );
    }
  }

  private async findRole(
    name: string,
  ): Promise<{ kind: 'realm' | 'client'; rep: RoleRepresentation }> {
    const id = await this.apiClientUuid();
    const kc = await this.client();
    const [realm, client] = await Promise.all([kc.roles.find(), kc.clients.listRoles({ id })]);
    const permission = client.find((r) => r.name === name);
    if (permission) return { kind: 'client', rep: permission };
    const realmRole = realm.find((r) => r.name === name && !BUILTIN_ROLE.test(name));
    if (realmRole) return { kind: 'realm', rep: realmRole };
    throw new ApiError('not_found', `No role or permission named ${name}`, {
      errors: [{ field: 'params.role', message: 'is not a realm role or a permission of the API' }],
    });
  }

  private apiClientUuid(): Promise<string> {
    this.#apiClientUuid ??= this.client()
      .then((kc) => kc.clients.find({ clientId: this.target.clientId }))
      .then((found) => {
        const id = found.find((c) => c.clientId === this.target.clientId)?.id;
        if (id === undefined)
          throw new ApiError('idp_refused', `The IdP has no client ${this.target.clientId}`);
        return id;
      })
      .catch((e) => {
        this.#apiClientUuid = undefined;
        throw e;
      });
    return this.#apiClientUuid;
  }

  /**
   * A listed user, or `undefined` when the IdP no longer has them: deleted (in its console, by
   * another admin) between the list and the read of their roles, which Keycloak answers with
   * its own 404 ("User not found"). The provider is the source of truth: they are simply not
   * listed. Any other 404 (a proxy's page, an unknown route or realm) still fails the list.
   */
  private async describeListed(user: UserRepresentation): Promise<IdpUser | undefined> {
    try {
      return await this.describe(user);
    } catch (e) {
      const NetworkError = loadedAdminClientModule()?.NetworkError;
      const gone =
        NetworkError !== undefined &&
        e instanceof NetworkError &&
        e.response.status === 404 &&
        userNotFound(e);
      if (gone) return undefined;
      throw e;
    }
  }

  private async describe(user: UserRepresentation): Promise<IdpUser> {
    const id = user.id ?? '';
    const kc = await this.client();
    const mappings = await kc.users.listRoleMappings({ id });
    const client = mappings.clientMappings?.[this.target.clientId] as
      | { mappings?: RoleRepresentation[] }
      | undefined;
    return {
      id,
      username: user.username ?? '',
      email: user.email ?? null,
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      enabled: user.enabled ?? true,
      department: first(user.attributes?.department),
      realmRoles: (mappings.realmMappings ?? [])
        .map((r) => r.name ?? '')
        .filter((n) => n && !BUILTIN_ROLE.test(n))
        .sort(),
      permissions: (client?.mappings ?? []).map((r) => r.name ?? '').sort(),
    };
  }
}

/**
 * A failed call about one person ({@link idpError}; `change` when it changes them) where only
 * Keycloak's own 404 for them ("User not found") is a 404, which callers may take for the person
 * deleted at the provider. Any other 404 (a proxy's page, an unknown route) says nothing of the
 * person and changed nothing, so it is a refusal (502): a wrong address must not read as a
 * person gone (fail closed), nor as "no such user" to the admin.
 */
function personError(e: unknown, what: string, change = true): ApiError {
  const error = idpError(e, what, true, change);
  if (e instanceof ApiError || error.code !== 'not_found' || userNotFound(e)) return error;
  return new ApiError(
    'idp_refused',
    `${what}: the identity provider answered 404 without saying that the person is gone (is IDP_ADMIN_URL right?)`,
    { cause: e },
  );
}

/**
 * The message of Keycloak's JSON error for a failed admin call: `error` as current releases
 * write it (`{"error":"User not found"}`), or the `error_description` of the shape older
 * releases wrote, `{"error":"invalid_request","error_description":"User not found"}` and
 * nothing else: their error handler (javax-era `KeycloakErrorHandler`) put an exception message
 * that is not an OAuth error code (RFC 6749 §5.2 syntax, `^[0-9a-z_]+$`) under
 * `error_description`, with `error` set to `invalid_request`. Undefined for any other body.
 */
function keycloakMessage(error: unknown): string | undefined {
  const data = (error as { responseData?: unknown } | null)?.responseData;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const { error: code, error_description: description } = data as Record<string, unknown>;
  const legacy =
    code === 'invalid_request' && typeof description === 'string' && Object.keys(data).length === 2;
  if (legacy) return description;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a failed admin call is Keycloak's 404 for a user it does not have ("User not found"). */
function userNotFound(error: unknown): boolean {
  const message = keycloakMessage(error);
  return message !== undefined && /^user not found\.?$/i.test(message.trim());
}

/**
 * Whether a failed admin call is Keycloak's 404 for a role it does not have ("Role not found",
 * "Could not find role"): a role mapping naming a role deleted since it was looked up.
 */
function roleNotFound(error: unknown): boolean {
  if ((error as { response?: { status?: unknown } } | null)?.response?.status !== 404) return false;
  const message = keycloakMessage(error);
  return message !== undefined && /^(role not found|could not find role)\.?$/i.test(message.trim());
}

/** Whether a failed admin call is Keycloak's own 404: its JSON error, not about the realm. */
function keycloakNotFound(error: unknown): boolean {
  const data = (error as { responseData?: unknown } | null)?.responseData;
  if (data === null || typeof data !== 'object') return false;
  const message = keycloakMessage(error) ?? (data as { errorMessage?: unknown }).errorMessage;
  return typeof message === 'string' && /not found/i.test(message) && !/realm/i.test(message);
}
