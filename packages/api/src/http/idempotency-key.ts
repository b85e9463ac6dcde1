import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_KEY_MESSAGE,
  IDEMPOTENCY_KEY_PATTERN,
} from '../schemas/common.js';
import { ApiError } from './problem.js';

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
    const message = fields > 1 ? 'must be sent once' : IDEMPOTENCY_KEY_MESSAGE;
    throw new ApiError('validation_failed', `headers.idempotency-key ${message}`, {
      errors: [{ field: 'headers.idempotency-key', message }],
    });
  }
  return value.startsWith('"') ? value.slice(1, -1) : value;
}
