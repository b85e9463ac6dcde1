import { problemResponse, problems } from '../schemas/common.js';
import { Todo } from './schemas.js';

/** The answers a keyed create adds (§2.7), as the document describes them. */
export const KEYED_CREATE_PROBLEMS = {
  404: {
    ...problemResponse,
    description:
      'RFC 9457 problem details, `not_found`: the list does not exist or the caller cannot read it; `idempotency_key_todo_deleted`: the todo this `Idempotency-Key` created has been deleted since (nothing is created again)',
  },
  409: {
    ...problemResponse,
    description:
      'RFC 9457 problem details, `idempotency_key_in_use`: a request with this `Idempotency-Key` is still being processed; retry with the same key',
  },
  422: {
    ...problemResponse,
    description:
      'RFC 9457 problem details, `idempotency_key_reused`: this `Idempotency-Key` was used (within 24 hours) for another request (another list, title, description or completed)',
  },
};

/** What the two create routes answer. */
export const CREATE_TODO_RESPONSES = {
  201: Todo,
  ...problems(400, 401, 403, 413, 415, 503),
  ...KEYED_CREATE_PROBLEMS,
};
