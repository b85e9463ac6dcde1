import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector> & {
  /** How many serializers this factory has compiled so far. */
  readonly compiledCount: number;
};
type Serializer = (doc: unknown) => string;

/** Serializers already compiled for one set of shared schemas and serializer options. */
interface Compiled {
  readonly external: Readonly<Record<string, unknown>>;
  readonly options: unknown;
  readonly bySchema: WeakMap<object, Serializer>;
}

/**
 * Same ids, each naming the same schema: the very same object, or an equal JSON document (Fastify
 * keeps a clone of each `addSchema` schema, so every app's `Problem` is another object).
 */
function sameSchemas(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>) {
  const ids = Object.keys(a);
  return (
    ids.length === Object.keys(b).length &&
    ids.every(
      (id) =>
        Object.hasOwn(b, id) &&
        (a[id] === b[id] || JSON.stringify(a[id]) === JSON.stringify(b[id])),
    )
  );
}

/**
 * Fastify's response serializers (fast-json-stringify), compiled once per schema object instead
 * of once per route and status code. Fastify compiles a serializer for every status of every
 * route, and again for each GET's implicit HEAD route, although most of them share one schema:
 * every route's error responses are the one `Problem` reference, a `Todo` is the answer of
 * several routes. A serializer is a function of its schema, the shared schemas (`addSchema`) and
 * the serializer options alone, so one compiled for the same schema object under the same shared
 * schemas and options is the very serializer Fastify would compile again.
 *
 * A schema carrying its own `$id` is compiled every time, as before: the default compiler drops
 * a shared schema of that id from its options for the rest of that context, so its result could
 * depend on what was compiled before.
 */
export function sharedSerializers(): SerializerFactory {
  const build = SerializerSelector();
  const compiled: Compiled[] = [];
  let count = 0;
  const factory = (
    externalSchemas: Parameters<SerializerFactory>[0],
    options: Parameters<SerializerFactory>[1],
  ): ReturnType<SerializerFactory> => {
    const compile = build(externalSchemas, options);
    const external = (externalSchemas ?? {}) as Readonly<Record<string, unknown>>;
    let known = compiled.find((c) => c.options === options && sameSchemas(c.external, external));
    if (!known) {
      known = { external, options, bySchema: new WeakMap() };
      compiled.push(known);
    }
    const { bySchema } = known;
    return (route) => {
      const schema = route.schema;
      const cacheable =
        typeof schema === 'object' && schema !== null && !('$id' in schema && schema.$id);
      if (!cacheable) {
        count++;
        return compile(route);
      }
      let serializer = bySchema.get(schema);
      if (!serializer) {
        count++;
        serializer = compile(route);
        bySchema.set(schema, serializer);
      }
      return serializer;
    };
  };
  return Object.defineProperty(factory, 'compiledCount', { get: () => count }) as SerializerFactory;
}

/**
 * The response serializers of every app this process builds (`buildApp`): an app's schemas are
 * module constants, so an app built after another (tests' instances, several instances in one
 * process) compiles none of them again.
 */
export const apiSerializers = sharedSerializers();
