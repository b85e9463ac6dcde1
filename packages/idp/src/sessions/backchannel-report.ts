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

/**
 * Logs how each back-channel logout delivery went. A failed one says where the logout token
 * went and why: the client keeps accepting that session's tokens until they expire (Back-Channel
 * Logout 1.0 §2.8 leaves retries to the OP; this one does not retry).
 */
export function backchannelReport(log: IdpLogger): BackchannelReport {
  return (clientId, outcome) => {
    if (outcome.ok) log.info(`back-channel logout delivered to ${clientId}`);
    else
      log.warn(
        `back-channel logout to ${clientId}${outcome.uri ? ` at ${outcome.uri}` : ''} failed (${deliveryFailure(outcome.error)}): until they expire, the session's tokens stay accepted there; check the client's backchannel.logout.url`,
      );
  };
}
