import type { Compilable, CompiledQuery } from 'kysely';
import { prepareOnServer } from './postgres-pool.js';

/** A parameter of the compiled statement: a named value given per call, or a fixed one. */
export type Slot<N extends string> = { readonly name: N } | { readonly value: unknown };

const MARKER = '\u0000todo-sso parameter:';

/**
 * A query built and compiled once, executed many times with its named values: the SQL text and
 * the parameter order are fixed at the first call, so a hot route skips building the operation
 * tree and compiling it (a few dozen µs of a request). `build` receives `param(name)`, a
 * placeholder to use wherever a per-call value goes; values written literally stay fixed. It
 * is the same statement every time, which also lets the SQLite statement cache keep it prepared
 * and PostgreSQL parse and plan it once per connection (`prepareOnServer`).
 *
 * @throws {TypeError} at the first call, when a placeholder did not become a bound parameter
 *   (it was inlined into the SQL text, so it could never be replaced).
 *
 * @example
 * ```ts
 * const byId = compileOnce<Row, 'id'>((param) =>
 *   db.kysely.selectFrom('todos').selectAll().where('id', '=', param('id')),
 * );
 * const rows = (await db.kysely.executeQuery(byId({ id }))).rows;
 * ```
 */
export function compileOnce<R, N extends string>(
  // biome-ignore lint/suspicious/noExplicitAny: a placeholder stands in for values of any column type
  build: (param: (name: N) => any) => Compilable<R>,
): (values: Readonly<Record<N, unknown>>) => CompiledQuery<R> {
  const template = compileTemplate(build);
  return (values) => {
    const { query, slots } = template();
    const parameters = slots.map((slot) => ('name' in slot ? values[slot.name] : slot.value));
    return { ...query, parameters };
  };
}

/** A statement compiled once: its query and, per bound parameter, its name or fixed value. */
export interface CompiledTemplate<R, N extends string> {
  readonly query: CompiledQuery<R>;
  readonly slots: readonly Slot<N>[];
}

/**
 * `compileOnce`'s first step alone: the statement built and compiled at the first call (and
 * marked for `prepareOnServer`), then the same `{ query, slots }` every time, for a caller that
 * fills the parameters itself (`slots[i]` says what `query.parameters[i]` is).
 *
 * @throws {TypeError} as `compileOnce` does.
 */
export function compileTemplate<R, N extends string>(
  // biome-ignore lint/suspicious/noExplicitAny: a placeholder stands in for values of any column type
  build: (param: (name: N) => any) => Compilable<R>,
): () => CompiledTemplate<R, N> {
  let compiled: CompiledTemplate<R, N> | undefined;
  const prepare = () => {
    const names = new Map<string, N>();
    const query = build((name) => {
      const marker = `${MARKER}${name}`;
      names.set(marker, name);
      return marker;
    }).compile();
    const slots = query.parameters.map((value): Slot<N> => {
      const name = typeof value === 'string' ? names.get(value) : undefined;
      return name === undefined ? { value } : { name };
    });
    for (const [marker, name] of names)
      if (!query.parameters.includes(marker) || query.sql.includes(marker))
        throw new TypeError(`compileOnce: the value ${name} is not a bound parameter`);
    prepareOnServer(query.sql);
    return { query, slots };
  };
  return () => {
    compiled ??= prepare();
    return compiled;
  };
}

/**
 * A compiled template's statement given its values straight from one object per name prefix:
 * the parameter named `a.title` is `sources[prefixes.indexOf('a.')].title`, in the statement's
 * order (worked out at the first call), without an intermediate object of prefixed names (a
 * write's one statement has a few dozen values: the prefixed keys, one object per write).
 */
export function fillByPrefix<R>(
  template: () => CompiledTemplate<R, string>,
  prefixes: readonly string[],
): (sources: readonly (object | undefined)[]) => CompiledQuery<R> {
  let order: { readonly from: number[]; readonly keys: string[] } | undefined;
  return (sources) => {
    const { query, slots } = template();
    if (order === undefined) {
      const from: number[] = [];
      const keys: string[] = [];
      for (const slot of slots) {
        const at = 'name' in slot ? slot.name.indexOf('.') + 1 : 0;
        const source = 'name' in slot ? prefixes.indexOf(slot.name.slice(0, at)) : -1;
        from.push(source);
        keys.push(source === -1 ? '' : (slot as { name: string }).name.slice(at));
      }
      order = { from, keys };
    }
    const parameters: unknown[] = new Array(slots.length);
    for (let i = 0; i < slots.length; i += 1) {
      const source = order.from[i] as number;
      parameters[i] =
        source === -1
          ? (slots[i] as { value: unknown }).value
          : (sources[source] as Record<string, unknown> | undefined)?.[order.keys[i] as string];
    }
    return { ...query, parameters };
  };
}
