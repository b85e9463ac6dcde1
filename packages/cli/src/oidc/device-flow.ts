import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import type { ProviderMetadata } from './discovery.js';
import type { DpopKey } from './dpop.js';
import { describeOAuthError, oauthError, postForm, tokenRequest } from './http.js';
import { type TokenResponse, toTokenResponse } from './tokens.js';

/** RFC 8628 §3.2: the device authorization response. */
interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

async function authorize(
  io: Io,
  metadata: ProviderMetadata,
  clientId: string,
  scope: string,
): Promise<DeviceAuthorization> {
  const endpoint = metadata.device_authorization_endpoint;
  if (endpoint === undefined)
    throw new CliError(
      'idp_error',
      `${metadata.issuer} offers no device authorization endpoint; enable the device grant for ${clientId}`,
    );
  const { status, body } = await postForm(io.fetch, endpoint, { client_id: clientId, scope });
  const error = oauthError(body);
  if (status !== 200 || error !== undefined)
    throw new CliError(
      'login_failed',
      `The device authorization request was refused: ${error ? describeOAuthError(error) : `HTTP ${status}`}`,
    );
  return checkDeviceAuthorization(body);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** An absolute http(s) URL without control characters, fit to show and to open. */
function isShowableUrl(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    /^https?:\/\//i.test(value) &&
    !CONTROL.test(value) &&
    URL.canParse(value)
  );
}

/**
 * RFC 8628 §3.2: `device_code`, `user_code`, `verification_uri` and `expires_in` are required.
 * What is shown on the terminal or opened in a browser must be an http(s) URL or a code free of
 * control characters (no escape sequences rewriting the screen or hiding another link).
 */
function checkDeviceAuthorization(body: Record<string, unknown>): DeviceAuthorization {
  const unusable = (why: string) =>
    new CliError('idp_error', `The device authorization response is unusable: ${why}`);
  if (typeof body.device_code !== 'string' || body.device_code === '')
    throw unusable('no device_code');
  if (typeof body.user_code !== 'string' || body.user_code === '' || CONTROL.test(body.user_code))
    throw unusable('no user_code, or one with control characters');
  if (!isShowableUrl(body.verification_uri))
    throw unusable('verification_uri is not an http(s) URL');
  if (
    body.verification_uri_complete !== undefined &&
    !isShowableUrl(body.verification_uri_complete)
  )
    throw unusable('verification_uri_complete is not an http(s) URL');
  if (typeof body.expires_in !== 'number' || !(body.expires_in > 0))
    throw unusable('no expires_in');
  return body as unknown as DeviceAuthorization;
}

/**
 * One poll of the token endpoint; undefined when the provider did not answer (connection refused,
 * reset or timed out), which RFC 8628 §3.5 answers by polling less often, not by giving up.
 */
async function poll(
  io: Io,
  metadata: ProviderMetadata,
  clientId: string,
  deviceCode: string,
  dpop: DpopKey | undefined,
) {
  try {
    return await tokenRequest(
      io.fetch,
      metadata.token_endpoint,
      { grant_type: GRANT_TYPE, device_code: deviceCode, client_id: clientId },
      dpop,
    );
  } catch (e) {
    if (e instanceof CliError && e.code === 'idp_unreachable') return undefined;
    throw e;
  }
}

/** The shortest wait between two polls, whatever the provider says: 1 s. */
const MIN_INTERVAL_SEC = 1;

/**
 * The seconds to wait between polls (RFC 8628 §3.2 `interval`). Absent, or not a positive number
 * (0, negative, not finite), it is the RFC's default of 5 s; a positive value below 1 s is raised
 * to 1 s, so a provider sending a fraction never makes the CLI poll in a tight loop (§3.5).
 */
function pollingInterval(interval: unknown): number {
  if (typeof interval !== 'number' || !(interval > 0) || !Number.isFinite(interval)) return 5;
  return Math.max(MIN_INTERVAL_SEC, interval);
}

/**
 * The device authorization grant (RFC 8628): asks for a user code, shows where to enter it
 * (opening a browser when there is one), then polls the token endpoint at the server's
 * interval, slowing down by 5 s on `slow_down` and doubling it after a poll without an answer
 * (§3.5), until the person approves or denies or the code expires. With `dpop`, every poll
 * carries a proof by that key, so the tokens are bound to it (RFC 9449 §5).
 */
export async function deviceLogin(
  io: Io,
  metadata: ProviderMetadata,
  clientId: string,
  scope: string,
  dpop?: DpopKey,
): Promise<TokenResponse> {
  const device = await authorize(io, metadata, clientId, scope);
  const complete = device.verification_uri_complete;
  io.err(`To sign in, open ${device.verification_uri}`);
  io.err(`and enter the code ${device.user_code}`);
  if (complete !== undefined) io.err(`(or open ${complete})`);
  if (complete !== undefined && (await io.openBrowser(complete)))
    io.err('(a browser window was opened for you)');
  io.err('Waiting for approval…');
  let intervalSec = pollingInterval(device.interval);
  const deadline = io.now() + device.expires_in * 1000;
  for (;;) {
    // §3.2 `expires_in`: never wait past the code's lifetime, however long the interval. A wait
    // cut short by the lifetime ends it (timers may fire a millisecond before the wall clock).
    const interval = intervalSec * 1000;
    const wait = Math.min(interval, Math.max(0, deadline - io.now()));
    await io.sleep(wait);
    if (wait < interval || io.now() >= deadline)
      throw new CliError(
        'login_failed',
        'The code expired before it was approved; run todo login again',
      );
    const answer = await poll(io, metadata, clientId, device.device_code, dpop);
    if (answer === undefined) {
      // §3.5: "On encountering a connection timeout, clients MUST unilaterally reduce their
      // polling frequency before retrying"; doubling the interval is the RFC's suggestion.
      intervalSec *= 2;
      continue;
    }
    const { status, body } = answer;
    const error = oauthError(body);
    if (status === 200 && error === undefined) return toTokenResponse(body, io.now(), dpop);
    switch (error?.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        // §3.5: increase the interval by 5 seconds for this and all later requests.
        intervalSec += 5;
        continue;
      case 'access_denied':
        throw new CliError('login_failed', 'The sign-in was denied');
      case 'expired_token':
        throw new CliError(
          'login_failed',
          'The code expired before it was approved; run todo login again',
        );
      default:
        throw new CliError(
          'login_failed',
          `The token request failed: ${error ? describeOAuthError(error) : `HTTP ${status}`}`,
        );
    }
  }
}
