import type { Io } from '../io.js';
import type { ApiClient } from './client.js';
import {
  CREATE_TIMEOUT_MS,
  type CreateSend,
  type CreateSession,
  createOnce,
} from './create-todo.js';
import type { paths } from './schema.gen.js';

type Create = paths['/lists/']['post'];
type NewList = Create['requestBody']['content']['application/json'];
type Created = Create['responses'][201]['content']['application/json'];

/**
 * Creates a list with an `Idempotency-Key` of its own, sent once more after a lost answer, so a
 * lost answer never leaves two lists (see {@link createOnce}). `timeoutMs` is for tests.
 */
export function createList(
  api: ApiClient,
  session: CreateSession,
  io: Pick<Io, 'now' | 'sleep'>,
  body: NewList,
  timeoutMs = CREATE_TIMEOUT_MS,
): Promise<Created> {
  const send: CreateSend<Created> = (header, signal) =>
    api.POST('/lists/', { params: { header }, body, signal });
  const lost =
    'The list may have been created before its answer was lost: check with todo lists before creating it again';
  return createOnce(io, session, send, lost, timeoutMs);
}
