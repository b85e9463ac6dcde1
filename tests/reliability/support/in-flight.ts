/**
 * Polls the API's `/metrics` until `http_requests_in_flight` shows `count` requests besides the
 * poll itself: the API has accepted them (its first request hook ran), which a fixed delay after
 * sending them cannot promise on a loaded machine. The deadline only bounds a hang.
 */
export async function waitForInFlight(
  url: string,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await fetch(`${url}/metrics`).then((res) => res.text());
    const value = Number(/^http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0);
    if (value >= count + 1) return;
    if (Date.now() > deadline) throw new Error(`only ${value - 1} of ${count} requests in flight`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
