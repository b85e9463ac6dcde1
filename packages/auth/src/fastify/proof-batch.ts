/** One request's check and what to do with its outcome. */
interface PendingProof<T> {
  readonly check: () => T;
  readonly then: (error: unknown, result?: T) => void;
}

/**
 * Runs the checks of the requests that arrived in one turn of the event loop back to back,
 * then their continuations: the DPoP proofs of warm requests, and the verifications of tokens
 * the cache did not hold. Either costs mostly one signature verification (ECDSA P-256 for most
 * proofs, RS256 for most tokens); run between two requests' parsing, routing, logging and
 * response writing, the signature code and its tables are evicted from the CPU caches each
 * time, and the request's own work runs slower after it. Requests read in the same poll phase
 * are queued, and the queue is drained once that phase is over (`setImmediate`): first every
 * check, then every continuation.
 *
 * Nothing about a check changes: each runs the same synchronous function it would have run in
 * the request's own turn, its refusal is handed to that request alone, and a proof's `jti` is
 * still claimed (RFC 9449 §11.1) only after its signature verified and before its response.
 */
export class ProofBatch<T> {
  private queue: PendingProof<T>[] = [];

  /** Queues a check; `then` gets its error or its result, after the current poll phase. */
  add(check: () => T, then: (error: unknown, result?: T) => void): void {
    if (this.queue.length === 0) setImmediate(() => this.drain());
    this.queue.push({ check, then });
  }

  private drain(): void {
    const pending = this.queue;
    this.queue = [];
    const outcomes: { error: unknown; result?: T }[] = new Array(pending.length);
    for (let i = 0; i < pending.length; i++) {
      try {
        outcomes[i] = { error: undefined, result: (pending[i] as PendingProof<T>).check() };
      } catch (error) {
        // A throw of `undefined` is still a refusal.
        outcomes[i] = { error: error ?? new Error('The check failed') };
      }
    }
    // Every request is answered; a continuation that throws is rethrown once all have run,
    // as it would have been thrown in its own turn.
    let thrown: { error: unknown } | undefined;
    for (let i = 0; i < pending.length; i++) {
      const { error, result } = outcomes[i] as { error: unknown; result?: T };
      try {
        (pending[i] as PendingProof<T>).then(error, result);
      } catch (failure) {
        thrown ??= { error: failure };
      }
    }
    if (thrown !== undefined) throw thrown.error;
  }
}
