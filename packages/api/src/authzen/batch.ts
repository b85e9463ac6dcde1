import type { Decision, EvaluationRequest } from './model.js';
import { AuthzenRequestError, type BatchRequest, readBatchItem } from './validate.js';

/**
 * Runs an access evaluations request (AuthZEN 1.0 §7). Every item is read first and the facts
 * they need are loaded at once (one query for a batch, not one per item); then items run in
 * order; an item that is
 * malformed once the defaults are filled in is denied with its error in the context (§7.2.1,
 * "errors in individual evaluations"), the others still run. `deny_on_first_deny` stops after
 * the first denial (or failure), `permit_on_first_permit` after the first permit (§7.1.2.1);
 * the response then holds the decisions made so far, the last one being the decisive one.
 */
export async function runBatch(
  batch: BatchRequest & { items: readonly unknown[] },
  engine: {
    evaluate(request: EvaluationRequest): Promise<Decision>;
    prefetch(requests: readonly EvaluationRequest[]): Promise<void>;
  },
): Promise<Decision[]> {
  const read = batch.items.map((item, index) => {
    try {
      return readBatchItem(batch.defaults, item, index);
    } catch (error) {
      if (!(error instanceof AuthzenRequestError)) throw error;
      return error;
    }
  });
  await engine.prefetch(read.filter((r): r is EvaluationRequest => !(r instanceof Error)));
  const decisions: Decision[] = [];
  for (const request of read) {
    const decision: Decision =
      request instanceof AuthzenRequestError
        ? { decision: false, context: { error: { status: 400, message: request.message } } }
        : await engine.evaluate(request);
    decisions.push(decision);
    if (batch.semantic === 'deny_on_first_deny' && !decision.decision) {
      decision.context ??= { reason: 'deny_on_first_deny' };
      break;
    }
    if (batch.semantic === 'permit_on_first_permit' && decision.decision) break;
  }
  return decisions;
}
