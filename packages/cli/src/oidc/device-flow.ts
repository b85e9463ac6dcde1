import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import type { ProviderMetadata } from './discovery.js';
import { describeOAuthError, oauthError, postForm } from './http.js';
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
  if (typeof body.device_code !== 'string' || typeof body.user_code !== 'string')
    throw new CliError('idp_error', 'The device authorization response has no device_code');
  return body as unknown as DeviceAuthorization;
}

/**
 * The device authorization grant (RFC 8628): asks for a user code, shows where to enter it
 * (opening a browser when there is one), then polls the token endpoint at the server's
 * interval, slowing down by 5 s on `slow_down` (§3.5), until the person approves or denies
 * or the code expires.
 */
export async function deviceLogin(
  io: Io,
  metadata: ProviderMetadata,
  clientId: string,
  scope: string,
): Promise<TokenResponse> {
  const device = await authorize(io, metadata, clientId, scope);
  const complete = device.verification_uri_complete;
  io.err(`To sign in, open ${device.verification_uri}`);
  io.err(`and enter the code ${device.user_code}`);
  if (complete !== undefined) io.err(`(or open ${complete})`);
  if (complete !== undefined && (await io.openBrowser(complete)))
    io.err('(a browser window was opened for you)');
  io.err('Waiting for approval…');
  // §3.2: the default polling interval is 5 seconds.
  let intervalSec =
    typeof device.interval === 'number' && device.interval > 0 ? device.interval : 5;
  const deadline = io.now() + device.expires_in * 1000;
  for (;;) {
    await io.sleep(intervalSec * 1000);
    if (io.now() > deadline)
      throw new CliError(
        'login_failed',
        'The code expired before it was approved; run todo login again',
      );
    const { status, body } = await postForm(io.fetch, metadata.token_endpoint, {
      grant_type: GRANT_TYPE,
      device_code: device.device_code,
      client_id: clientId,
    });
    const error = oauthError(body);
    if (status === 200 && error === undefined) return toTokenResponse(body, io.now());
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
