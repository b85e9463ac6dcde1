/**
 * `@todo-sso/auth/net`: whether a request that fetch rejected can have reached the server, for
 * the API's calls to the identity provider and the `todo` CLI's calls to the API alike. A module
 * of its own, with no dependencies, so that the CLI loads it at start without the rest of the
 * package.
 *
 * @packageDocumentation
 */

/**
 * The system error codes of a connection that was never made (Node's fetch puts the error, with
 * its code, in `cause`): the server never saw the request. Anything else (a connection reset or
 * closed, no answer in time) may come after the server acted.
 */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

type FetchFailure = { cause?: { code?: unknown; message?: unknown } } | null | undefined;

/**
 * Whether fetch refused the URL before connecting because its port is on the Fetch Standard's
 * list of "bad ports" (§2.9 port blocking: ports of other protocols, such as 6000 for X11 or
 * 10080 for Amanda, that browsers and Node's fetch never connect to). Node's fetch rejects with
 * a cause whose message is "bad port" and has no code. No request left this machine.
 */
export function blockedPort(error: unknown): boolean {
  const cause = (error as FetchFailure)?.cause;
  return cause?.code === undefined && cause?.message === 'bad port';
}

/**
 * Whether the request fetch rejected with `error` never left this machine: no connection was
 * made ({@link NOT_SENT_CODES}), or fetch refused the URL's port ({@link blockedPort}).
 */
export function connectionNeverMade(error: unknown): boolean {
  const code = (error as FetchFailure)?.cause?.code;
  return (typeof code === 'string' && NOT_SENT_CODES.has(code)) || blockedPort(error);
}
