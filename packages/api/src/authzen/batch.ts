import type { Decision, EvaluationRequest } from './model.js';
import { AuthzenRequestError, type BatchRequest, readBatchItem } from './validate.js';

/**
 * Runs an access evaluations request (AuthZEN 1.0 §7). Items run in order; an item that is
 * malformed once the defaults are filled in is denied with its error in the context (§7.2.1,
 * "errors in individual evaluations"), the others still run. `deny_on_first_deny` stops after
 * the first denial (or failure), `permit_on_first_permit` after the first permit (§7.1.2.1);
 * the response then holds the decisions made so far, the last one being the decisive one.
 */
export async function runBatch(
  batch: BatchRequest & { items: readonly unknown[] },
  evaluate: (request: EvaluationRequest) => Promise<Decision>,
): Promise<Decision[]> {
  const decisions: Decision[] = [];
  for (const [index, item] of batch.items.entries()) {
    let decision: Decision;
    try {
      decision = await evaluate(readBatchItem(batch.defaults, item, index));
    } catch (error) {
      if (!(error instanceof AuthzenRequestError)) throw error;
      decision = { decision: false, context: { error: { status: 400, message: error.message } } };
    }
    decisions.push(decision);
    if (batch.semantic === 'deny_on_first_deny' && !decision.decision) {
      decision.context ??= { reason: 'deny_on_first_deny' };
      break;
    }
    if (batch.semantic === 'permit_on_first_permit' && decision.decision) break;
  }
  return decisions;
}
