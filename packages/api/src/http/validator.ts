import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** A query-string or path integer: decimal digits, nothing else. */
const DECIMAL = /^[0-9]+$/;

/**
 * TypeBox's validator, stricter about integers in the query string and path. Its value
 * conversion reads `1.5` as 1, `0x10` as 16 and `1e2` as 100 — a page size the caller never
 * asked for — so an integer parameter must be spelled in decimal digits or it is refused
 * ("must be integer", like any other non-integer). Bodies are JSON and never converted.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  // A validator depends on its schema and the part of the request alone: one per pair, not one
  // per route (a GET's implicit HEAD route, routes sharing a body or parameter schema).
  if (typeof route.schema !== 'object' || route.schema === null) return compileFor(route);
  const byPart = compiled.get(route.schema) ?? new Map<string | undefined, Validate>();
  compiled.set(route.schema, byPart);
  let validate = byPart.get(route.httpPart);
  if (!validate) {
    validate = compileFor(route);
    byPart.set(route.httpPart, validate);
  }
  return validate;
};

type Validate = ReturnType<FastifySchemaCompiler<TSchema>>;
const compiled = new WeakMap<object, Map<string | undefined, Validate>>();

function compileFor(route: Parameters<FastifySchemaCompiler<TSchema>>[0]): Validate {
  const converting = TypeBoxValidatorCompiler(route);
  if (route.httpPart === 'headers' && onlyStrings(route.schema)) {
    return checkedHeaders(route.schema, converting);
  }
  if (route.httpPart !== 'querystring' && route.httpPart !== 'params') return converting;
  const validate = withoutEmptyConversion(route.schema, converting);
  const integers = integerProperties(route.schema);
  if (integers.length === 0) return validate;
  return (value) => {
    const input = value as Record<string, unknown> | null | undefined;
    const errors: FastifySchemaValidationError[] = [];
    for (const name of integers) {
      const raw = input?.[name];
      if (raw !== undefined && !(typeof raw === 'string' && DECIMAL.test(raw))) {
        errors.push({
          keyword: 'type',
          instancePath: `/${name}`,
          schemaPath: `#/properties/${name}/type`,
          params: { type: 'integer' },
          message: 'must be integer',
        });
      }
    }
    return errors.length > 0 ? { error: errors } : validate(value);
  };
}

/**
 * The validator, answering a query string or path without parameters (`{}`, the common
 * `GET /todos/`) from the compiled check alone: converting strings to the schema's types walks
 * the schema and copies the object (~10 µs) and can change nothing when there is no value.
 * An empty object the schema refuses (a required parameter) goes through the full validator,
 * which says why.
 */
function withoutEmptyConversion(schema: TSchema, validate: Validate): Validate {
  const check = Compile(schema);
  return (value) => (isEmptyObject(value) && check.Check(value) ? { value } : validate(value));
}

/**
 * The validator of a header schema whose fields are all strings: a valid header section is
 * answered `true`, leaving `request.headers` as Node parsed it. The converting validator answers
 * `{ value }`, and Fastify keeps that value beside the parsed headers, so every later read of
 * `request.headers` in the request (the handler's, the hooks') merged the two into a new object;
 * and converting walks the schema per request (a `RegExp` made per field) to change nothing, a
 * header's value being a string already. An invalid section goes through the converting
 * validator, which says why, as before.
 */
function checkedHeaders(schema: TSchema, validate: Validate): Validate {
  const check = Compile(schema);
  return (value) => check.Check(value) || validate(value);
}

/** Whether every property of an object schema is a string (what a header's value is). */
function onlyStrings(schema: unknown): boolean {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties) return false;
  return Object.values(properties).every((property) => property?.type === 'string');
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const _ in value) return false;
  return true;
}

function integerProperties(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties) return [];
  return Object.keys(properties).filter((name) => properties[name]?.type === 'integer');
}
