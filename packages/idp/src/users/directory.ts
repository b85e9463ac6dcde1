import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IdpError } from '../errors.js';
import type { IdpLogger } from '../logger.js';
import type { OtpCredential } from '../realm/otp.js';
import { resolveMappings } from '../realm/resolve.js';
import type { Realm, RealmUser, UserMappings } from '../realm/types.js';
import { hashPassword } from './password.js';

/** What a user is without what follows from it (effective roles and attributes). */
type StoredUser = Omit<RealmUser, 'realmRoles' | 'clientRoles' | 'attributes'>;

interface OverlayFile {
  version: 1;
  /** Users changed or created since the realm file, by id; `null` = deleted. */
  users: Record<string, StoredUser | null>;
}

/** Why a change was refused; the admin API maps it to Keycloak's status and message. */
export class DirectoryError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

function stored(user: RealmUser): StoredUser {
  const { realmRoles: _r, clientRoles: _c, attributes: _a, ...rest } = user;
  return structuredClone(rest);
}

/**
 * The realm's users as the running IdP knows them: the realm file is the seed, and changes made
 * through the admin API or at sign-in (an enrolled authenticator, a new password) are kept in
 * `users.json` of the IdP's data folder (`$DATA_DIR/idp` under `npm run idp` and `npm start`)
 * on top of it, so they survive a restart while the realm file stays as it is. The realm's user
 * maps are updated in place, so every reader sees the change at once.
 */
export class UserDirectory {
  readonly #realm: Realm;
  readonly #file: string | undefined;
  readonly #overlay: OverlayFile = { version: 1, users: {} };

  constructor(realm: Realm, file: string | undefined, log: IdpLogger) {
    this.#realm = realm;
    this.#file = file;
    if (!file) return;
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // nothing changed yet
    }
    let overlay: OverlayFile;
    try {
      overlay = JSON.parse(text) as OverlayFile;
    } catch (cause) {
      // Fail closed: starting from the realm file alone would bring back disabled users.
      throw new IdpError('ERR_USERS_FILE', `${file} is not valid JSON; fix or remove it`, {
        cause,
      });
    }
    for (const [id, user] of Object.entries(overlay.users ?? {})) {
      try {
        if (user === null) this.#remove(id);
        else this.#put(user);
        this.#overlay.users[id] = user;
      } catch (error) {
        log.warn(`ignoring the stored change of user ${id}: ${(error as Error).message}`);
      }
    }
  }

  get(id: string): RealmUser | undefined {
    return this.#realm.usersById.get(id);
  }

  byUsername(username: string): RealmUser | undefined {
    return this.#realm.users.get(username);
  }

  /** People (service accounts left out, as Keycloak's user search does). */
  people(): RealmUser[] {
    return [...this.#realm.usersById.values()].filter((u) => !u.serviceAccountClientId);
  }

  create(input: Partial<StoredUser> & { username: string }): RealmUser {
    const username = input.username.toLowerCase();
    if (this.byUsername(username)) {
      throw new DirectoryError(409, 'User exists with same username');
    }
    return this.#commit({
      id: randomUUID(),
      email: undefined,
      emailVerified: false,
      firstName: undefined,
      lastName: undefined,
      enabled: false,
      password: undefined,
      requiredActions: [],
      otp: [],
      direct: { realmRoles: [], clientRoles: {}, groups: [], attributes: {} },
      ...input,
      username,
      createdTimestamp: Date.now(),
    });
  }

  /** Applies `change` to a copy of the user, resolves it and stores it. */
  update(id: string, change: (user: StoredUser) => void): RealmUser {
    const current = this.get(id);
    if (!current) throw new DirectoryError(404, 'User not found');
    const next = stored(current);
    change(next);
    const clash = this.byUsername(next.username);
    if (clash && clash.id !== id) throw new DirectoryError(409, 'User exists with same username');
    return this.#commit(next, current.username);
  }

  setPassword(id: string, password: string, temporary: boolean): RealmUser {
    return this.update(id, (u) => {
      u.password = undefined;
      u.passwordHash = hashPassword(password);
      u.requiredActions = u.requiredActions.filter((a) => a !== 'UPDATE_PASSWORD');
      if (temporary) u.requiredActions.push('UPDATE_PASSWORD');
    });
  }

  addOtp(id: string, credential: OtpCredential): RealmUser {
    return this.update(id, (u) => {
      u.otp = [...u.otp, credential];
      u.requiredActions = u.requiredActions.filter((a) => a !== 'CONFIGURE_TOTP');
    });
  }

  setMappings(id: string, change: (direct: UserMappings) => void): RealmUser {
    return this.update(id, (u) => change(u.direct));
  }

  delete(id: string): void {
    if (!this.get(id)) throw new DirectoryError(404, 'User not found');
    this.#remove(id);
    this.#overlay.users[id] = null;
    this.#save();
  }

  #commit(user: StoredUser, previousUsername?: string): RealmUser {
    if (previousUsername !== undefined && previousUsername !== user.username) {
      (this.#realm.users as Map<string, RealmUser>).delete(previousUsername);
    }
    const resolved = this.#put(user);
    this.#overlay.users[user.id] = stored(resolved);
    this.#save();
    return resolved;
  }

  #put(user: StoredUser): RealmUser {
    const resolved: RealmUser = {
      ...structuredClone(user),
      ...resolveMappings(this.#realm.model, user.direct, `user ${user.username}`),
    };
    const old = this.#realm.usersById.get(user.id);
    if (old && old.username !== user.username) {
      (this.#realm.users as Map<string, RealmUser>).delete(old.username);
    }
    (this.#realm.users as Map<string, RealmUser>).set(user.username, resolved);
    (this.#realm.usersById as Map<string, RealmUser>).set(user.id, resolved);
    return resolved;
  }

  #remove(id: string): void {
    const user = this.#realm.usersById.get(id);
    if (!user) return;
    (this.#realm.users as Map<string, RealmUser>).delete(user.username);
    (this.#realm.usersById as Map<string, RealmUser>).delete(id);
  }

  /** Write-then-rename, so a crash never leaves a half-written file. */
  #save(): void {
    if (!this.#file) return;
    mkdirSync(dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.#overlay, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.#file);
  }
}
