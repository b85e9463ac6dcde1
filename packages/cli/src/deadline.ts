/**
 * Runs `call` with a signal that aborts after `ms`, and rejects with a `TimeoutError` then
 * whatever `call` does. The deadline is kept here, not left to `AbortSignal.timeout` handed to
 * fetch: Node's fetch (undici) follows a signal through weak references, so after a garbage
 * collection the timeout's abort can be lost (nodejs/node#55428, nodejs/undici#4068), and the
 * request then waits for as long as the server stays silent. The timer below holds the
 * controller, so the abort arrives and the connection is dropped.
 */
export async function withDeadline<T>(
  ms: number,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new DOMException('The operation timed out', 'TimeoutError');
      controller.abort(reason);
      reject(reason);
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
