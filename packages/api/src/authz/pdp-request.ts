/**
 * One access evaluations request to an external AuthZEN 1.0 decision point and the reading of
 * its answer: bounded in time and size, never redirected, and a decision only when it holds
 * one boolean Decision per evaluation asked. Everything else fails closed.
 */

/** The external decision point did not answer usably: the request fails closed with 503. */
export class DecisionPointUnavailableError extends Error {
  override readonly name = 'DecisionPointUnavailableError';
  readonly code = 'ERR_PDP_UNAVAILABLE';
}

/**
 * The most of an answer read: a decision is a few bytes, and its optional `context` (AuthZEN 1.0
 * §5.5.1) a reason or two, so a base plus 1 KiB per evaluation asked is ample. A longer answer
 * is not read to its end (memory stays bounded whatever the decision point sends).
 */
const answerLimit = (evaluations: number) => 64 * 1024 + evaluations * 1024;

/** The body of `response` as text, or undefined once it exceeds `limit` bytes. */
async function readBounded(response: Response, limit: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > limit) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, length).toString('utf8');
}

/**
 * The decisions of an access evaluations answer (§7.2): a JSON object whose `evaluations` hold
 * exactly one Decision per evaluation asked, in the order asked, each with a boolean `decision`
 * (§5.5). Anything else is no answer: undefined. Unknown members are ignored (§10.1.1).
 */
function decisionsOf(answer: unknown, expected: number): boolean[] | undefined {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return undefined;
  const items: unknown = (answer as { evaluations?: unknown }).evaluations;
  // Matched to the questions by position: a longer or shorter list answers something else.
  if (!Array.isArray(items) || items.length !== expected) return undefined;
  // Each one a Decision object (§5.5), not a bare boolean.
  const decisions = items.map((item: unknown) =>
    typeof item === 'object' && item !== null ? (item as { decision?: unknown }).decision : null,
  );
  return decisions.every((d) => typeof d === 'boolean') ? (decisions as boolean[]) : undefined;
}

/** One access evaluations request (§7); its boolean decisions, or a fail-closed error. */
export async function postEvaluations(
  to: { endpoint: string; timeoutMs: number; fetch: typeof fetch; token: string | undefined },
  body: unknown,
  expected: number,
): Promise<boolean[]> {
  let response: Response;
  try {
    response = await to.fetch(to.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(to.token && { authorization: `Bearer ${to.token}` }),
      },
      body: JSON.stringify(body),
      // The decision is AUTHZ_PDP_URL's: a redirect (which would hand the question, and with a
      // same-origin target the bearer token, to wherever it points) is no answer (§10.1: a
      // successful answer is a 200).
      redirect: 'error',
      signal: AbortSignal.timeout(to.timeoutMs),
    });
  } catch (cause) {
    throw new DecisionPointUnavailableError('the decision point is unreachable', { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new DecisionPointUnavailableError(`the decision point answered ${response.status}`);
  }
  let answer: unknown;
  try {
    // The timeout's signal also ends a body that trickles in.
    const text = await readBounded(response, answerLimit(expected));
    if (text === undefined) {
      throw new DecisionPointUnavailableError('the decision point answered too much');
    }
    answer = JSON.parse(text);
  } catch (cause) {
    if (cause instanceof DecisionPointUnavailableError) throw cause;
    throw new DecisionPointUnavailableError('the decision point answered no JSON', { cause });
  }
  const decisions = decisionsOf(answer, expected);
  if (!decisions)
    throw new DecisionPointUnavailableError('the decision point answered no decisions');
  return decisions;
}
