import { randomUUID } from 'node:crypto';

type Schema = {
  type?: string | string[];
  format?: string;
  minLength?: number;
  minimum?: number;
  minProperties?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  items?: Schema;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  examples?: unknown[];
};

/**
 * The smallest value an OpenAPI 3.1 (JSON Schema) schema accepts: required members only (or the
 * first one when `minProperties` asks for some), shortest strings, lowest numbers. Lets a test
 * call a route it has never seen, straight from the generated document.
 */
export function minimalValue(schema: Schema | undefined): unknown {
  if (schema === undefined) return undefined;
  // A documented example or a fixed value is valid by construction.
  if (schema.examples?.[0] !== undefined) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.[0] !== undefined) return schema.enum[0];
  if (schema.anyOf?.[0])
    return minimalValue(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0]);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const props = schema.properties ?? {};
      const names = [...(schema.required ?? [])];
      if (names.length < (schema.minProperties ?? 0)) {
        for (const name of Object.keys(props)) if (!names.includes(name)) names.push(name);
        names.length = schema.minProperties ?? 0;
      }
      return Object.fromEntries(names.map((n) => [n, minimalValue(props[n])]));
    }
    case 'string':
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      return 'm'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    default:
      return schema.default ?? null;
  }
}
