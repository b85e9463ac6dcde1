import type { IdpLogger } from '../logger.js';
import type { BackchannelReport } from './end.js';

/** Why a delivery failed, in words: the network error's code when there is one. */
function deliveryFailure(error: Error): string {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timed out';
  return error.message;
}

/** The most of a receiver's reason that is logged, in characters. */
const REASON_CHARS = 200;

/** A receiver's words made safe for one log line: printable ASCII only, and short. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7E]/gu, '?').slice(0, REASON_CHARS);
}

/**
 * The receiver's answer to a logout token it refused (oidc-provider keeps the response on the
 * error): its status and, from an OAuth 2.0 error body (Back-Channel Logout 1.0 §2.8, RFC 6749
 * §5.2), `error` and `error_description`; without a response (the token never got an
 * answer), why the delivery failed.
 */
async function refusal(error: Error): Promise<string> {
  const response = (error as { response?: unknown }).response;
  if (!(response instanceof Response)) return deliveryFailure(error);
  const status = `${response.status} ${response.statusText}`.trim();
  try {
    const body = JSON.parse(await firstBytes(response, BODY_BYTES)) as Record<string, unknown>;
    const reason = [body.error, body.error_description].filter((v) => typeof v === 'string');
    return reason.length > 0 ? `${status}: ${printable(reason.join(', '))}` : status;
  } catch {
    return status;
  }
}

/** The most of a refusal's body read: a receiver's OAuth error is far shorter. */
const BODY_BYTES = 4096;

/** Up to `limit` bytes of the body as text; the rest is never read (the receiver may be anyone's). */
async function firstBytes(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * Logs how each back-channel logout delivery went. A failed one says where the logout token
 * went and why: the client keeps accepting that session's tokens until they expire (Back-Channel
 * Logout 1.0 §2.8 leaves retries to the OP; this one does not retry). A receiver that answered
 * 400 got the token and refused it (§2.8), so its own reason is logged and what to check is its
 * trust in this issuer and client, not the URL.
 */
export function backchannelReport(log: IdpLogger): BackchannelReport {
  const stays = "until they expire, the session's tokens stay accepted there";
  return (clientId, outcome) => {
    if (outcome.ok) {
      log.info(`back-channel logout delivered to ${clientId}`);
      return;
    }
    const where = `back-channel logout to ${clientId}${outcome.uri ? ` at ${outcome.uri}` : ''}`;
    const unanswered = () =>
      log.warn(
        `${where} failed (${deliveryFailure(outcome.error)}): ${stays}; check the client's backchannel.logout.url`,
      );
    const status = (outcome.error as { response?: { status?: unknown } }).response?.status;
    if (status !== 400) {
      unanswered();
      return;
    }
    void refusal(outcome.error).then((reason) =>
      log.warn(
        `${where} was refused (${reason}): ${stays}; check that the receiver trusts this issuer and takes ${clientId} as an audience (the todo-sso API: OIDC_ISSUER and OIDC_LOGOUT_AUDIENCE)`,
      ),
    );
  };
}
