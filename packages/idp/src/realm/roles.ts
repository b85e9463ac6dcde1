import { invalid } from './check.js';

/** A role reference: a realm role (`client` undefined) or a client role. */
export interface RoleRef {
  client: string | undefined;
  name: string;
}

/** Role graph with composites, expanded transitively (Keycloak composite roles). */
export class RoleGraph {
  readonly #composites = new Map<string, RoleRef[]>();

  static key(ref: RoleRef): string {
    return ref.client === undefined ? `realm:${ref.name}` : `client:${ref.client}:${ref.name}`;
  }

  define(ref: RoleRef, composites: RoleRef[]): void {
    this.#composites.set(RoleGraph.key(ref), composites);
  }

  has(ref: RoleRef): boolean {
    return this.#composites.has(RoleGraph.key(ref));
  }

  require(ref: RoleRef, path: string): void {
    if (!this.has(ref)) {
      const what = ref.client === undefined ? 'realm role' : `client role of ${ref.client}`;
      invalid(path, `names an unknown ${what} "${ref.name}"`);
    }
  }

  /** The roles themselves plus everything their composites reach; cycles are tolerated. */
  expand(roots: RoleRef[]): { realm: string[]; client: Record<string, string[]> } {
    const seen = new Map<string, RoleRef>();
    const stack = [...roots];
    while (stack.length > 0) {
      const ref = stack.pop() as RoleRef;
      const key = RoleGraph.key(ref);
      if (seen.has(key)) continue;
      seen.set(key, ref);
      stack.push(...(this.#composites.get(key) ?? []));
    }
    const realm: string[] = [];
    const client: Record<string, string[]> = {};
    for (const ref of seen.values()) {
      if (ref.client === undefined) realm.push(ref.name);
      else client[ref.client] = [...(client[ref.client] ?? []), ref.name];
    }
    return { realm, client };
  }
}
