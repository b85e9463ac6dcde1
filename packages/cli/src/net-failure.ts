import { blockedPort } from '@todo-sso/auth/net';

/**
 * Why a request got no answer, in a few words and in parentheses, from the error fetch rejects
 * with (Node's fetch puts the system's error, with its code, in `cause`): a wrong address, a
 * server that is down and a certificate this machine does not trust each call for another fix.
 * Empty when nothing more is known.
 */
export function whyUnanswered(error: unknown): string {
  const e = error as { name?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return ' (no answer in time)';
  if (blockedPort(error))
    return " (its port is one that browsers and Node's fetch refuse to connect to, so nothing was sent)";
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  if (code === undefined) return '';
  const plain: Record<string, string> = {
    ECONNREFUSED: 'connection refused: nothing listens there',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name not resolved',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
  };
  if (plain[code] !== undefined) return ` (${plain[code]})`;
  if (/CERT|SELF_SIGNED|UNABLE_TO_|^ERR_TLS_|HOSTNAME_MISMATCH/.test(code))
    return ` (TLS: ${String(e?.cause?.message).slice(0, 200)}, ${code}; for a certificate of your own CA, give Node that CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem)`;
  if (/^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)$/.test(code))
    return ' (plain http answers where https was asked for: check the scheme and the port)';
  return ` (${code})`;
}

/**
 * What to check after {@link whyUnanswered} says why `server` gave no answer: whether it runs
 * and `setting` names it, or, for a port fetch refuses to connect to (the Fetch Standard's
 * §2.9 port blocking), another port: nothing was sent, so whether it runs is not the question.
 */
export function whatToCheck(error: unknown, server: string, setting: string): string {
  return blockedPort(error)
    ? `serve ${server} on another port and set ${setting} to it`
    : `is it running, and is ${setting} right?`;
}
