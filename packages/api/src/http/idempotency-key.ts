import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_KEY_MESSAGE,
  IDEMPOTENCY_KEY_PATTERN,
  IDEMPOTENCY_KEY_TOO_LONG,
  idempotencyKeyTooLong,
} from '../schemas/common.js';
import { ApiError, type FieldError } from './problem.js';

// The `Idempotency-Key` request field (draft-ietf-httpapi-idempotency-key-header §2.1) of the
// create routes that read it; what a key does is `todos/idempotency.ts`'s.

/** The request header of a create route making a `what`, as its schema validates and documents it. */
const keyHeaders = (what: string) =>
  Type.Object({
    'idempotency-key': Type.Optional(
      Type.String({
        pattern: IDEMPOTENCY_KEY_PATTERN,
        maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
        description: `A key of your own (a UUID) for this create, so a retry after a lost answer is answered with the first answer (\`Idempotent-Replayed: true\`) instead of creating a second ${what}; remembered 24 hours per person and client; the same key with another request is 422`,
      }),
    ),
  });

/** The request header of the two todo create routes. */
export const IdempotencyKeyHeaders = keyHeaders('todo');

/** The request header of `POST /lists/`. */
export const ListIdempotencyKeyHeaders = keyHeaders('list');

const KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/**
 * The key of a request, without its quotes; undefined without the field. A repeated field is the
 * 400 of an invalid one (§2.1), whatever the values, as is one the schema let through by
 * mistake (the key is a database value: it is checked here again before it is used).
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  const raw = request.raw.rawHeaders;
  let fields = 0;
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]?.toLowerCase() === 'idempotency-key') fields += 1;
  if (typeof value !== 'string' || fields > 1 || !KEY.test(value)) {
    const message =
      fields > 1
        ? 'must be sent once'
        : typeof value === 'string'
          ? keyMessage(value)
          : IDEMPOTENCY_KEY_MESSAGE;
    throw new ApiError('validation_failed', `headers.idempotency-key ${message}`, {
      errors: [{ field: 'headers.idempotency-key', message }],
    });
  }
  return value.startsWith('"') ? value.slice(1, -1) : value;
}

/** What a 400 says of a refused key: its limit when it is too long, else its syntax. */
function keyMessage(value: string): string {
  return idempotencyKeyTooLong(value) ? IDEMPOTENCY_KEY_TOO_LONG : IDEMPOTENCY_KEY_MESSAGE;
}

/**
 * The field errors of a request whose headers failed the schema, the `Idempotency-Key`'s said
 * as {@link keyMessage} does: the schema's own words for a key too long ("must NOT have more
 * than 257 characters", quotes counted) or its pattern's do not name the limit a client can act
 * on. Other fields' errors are kept.
 */
export function withKeyLimit(request: FastifyRequest, errors: FieldError[]): FieldError[] {
  const value = request.headers['idempotency-key'];
  if (typeof value !== 'string' || !idempotencyKeyTooLong(value)) return errors;
  return errors.map((e) =>
    e.field === 'headers.idempotency-key' ? { ...e, message: IDEMPOTENCY_KEY_TOO_LONG } : e,
  );
}
