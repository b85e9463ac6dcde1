/** What a person allowed one client: the scopes and resources of its sign-ins, and when. */
export interface Consent {
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  readonly resources: ReadonlySet<string>;
  /** Epoch milliseconds, as Keycloak's `UserConsentRepresentation` states them. */
  readonly createdDate: number;
  readonly lastUpdatedDate: number;
}

/**
 * Consents people gave to clients that ask for them (Keycloak's user consents): remembered per
 * (user, client) so that the next sign-in of that client for that person asks again only for
 * what it did not ask for before. Kept in memory like the registered clients it is about.
 */
export class ConsentStore {
  readonly #byUser = new Map<string, Map<string, Consent>>();

  /** The consent of `userId` to `clientId`, if any. */
  get(userId: string, clientId: string): Consent | undefined {
    return this.#byUser.get(userId)?.get(clientId);
  }

  /** Every consent of `userId`, oldest first. */
  list(userId: string): Consent[] {
    return [...(this.#byUser.get(userId)?.values() ?? [])];
  }

  /** Whether a consent already covers these scopes and resources. */
  covers(
    userId: string,
    clientId: string,
    scopes: readonly string[],
    resources: readonly string[],
  ): boolean {
    const consent = this.get(userId, clientId);
    if (!consent) return false;
    return (
      scopes.every((s) => consent.scopes.has(s)) && resources.every((r) => consent.resources.has(r))
    );
  }

  /** Records an "Allow": the scopes and resources join what was allowed before. */
  remember(
    userId: string,
    clientId: string,
    scopes: readonly string[],
    resources: readonly string[],
    now = Date.now(),
  ): Consent {
    let clients = this.#byUser.get(userId);
    if (!clients) {
      clients = new Map();
      this.#byUser.set(userId, clients);
    }
    const previous = clients.get(clientId);
    const consent: Consent = {
      clientId,
      scopes: new Set([...(previous?.scopes ?? []), ...scopes]),
      resources: new Set([...(previous?.resources ?? []), ...resources]),
      createdDate: previous?.createdDate ?? now,
      lastUpdatedDate: now,
    };
    clients.set(clientId, consent);
    return consent;
  }

  /** Forgets a consent; false when there was none. */
  revoke(userId: string, clientId: string): boolean {
    return this.#byUser.get(userId)?.delete(clientId) ?? false;
  }
}
