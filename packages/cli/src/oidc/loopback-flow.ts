import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import { inline } from '../output/terminal.js';
import type { ProviderMetadata } from './discovery.js';
import type { DpopKey } from './dpop.js';
import { describeOAuthError, oauthError, tokenRequest } from './http.js';
import { type TokenResponse, toTokenResponse } from './tokens.js';

/** How long the browser has to come back to the terminal. */
export const LOOPBACK_TIMEOUT_MS = 5 * 60_000;

/** The loopback IP literal listened on: never `localhost`, which a resolver may send elsewhere (RFC 8252 §8.3). */
const LOOPBACK_HOST = '127.0.0.1';
const CALLBACK_PATH = '/callback';

/**
 * RFC 7636 §4.1: a verifier of 43 characters from the unreserved set (base64url of 32 random
 * bytes: 256 bits, §7.1), and §4.2: its S256 challenge. `plain` is never used (RFC 8252 §8.1).
 */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * What the browser shows after the redirect: a fixed text that repeats nothing of the request
 * (no code, no state, no error text from the provider), not cached, loading nothing, sending no
 * referrer.
 */
function page(res: ServerResponse, status: number, text: string): void {
  const body = `<!doctype html><meta charset="utf-8"><title>todo</title><p>${text}</p>\n`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'",
    'x-content-type-options': 'nosniff',
    connection: 'close',
  });
  res.end(body);
}

const FAILED = 'The sign-in did not succeed. The terminal says why; you can close this tab.';

/** The code, or why the sign-in failed and, when it says more than the default, the page. */
type Outcome = { code: string } | { error: CliError; page?: string };

/** The listener for the redirect: where it is, what it received, and how to stop it. */
interface Listener {
  readonly redirectUri: string;
  /** The one redirect with this sign-in's `state`: its code, or why the sign-in failed. */
  readonly outcome: Promise<Outcome>;
  /** Answers every later request with a page saying the sign-in is over. */
  end(): void;
  close(): void;
}

/**
 * Listens for the redirect on 127.0.0.1 at a port the system picks (RFC 8252 §7.3, §8.3: bound
 * to the loopback interface only). A request without this sign-in's `state` (another page or
 * program on this machine trying its luck) is answered 400 and changes nothing.
 */
async function listen(state: string, metadata: ProviderMetadata): Promise<Listener> {
  let settle: (outcome: Outcome) => void = () => {};
  const outcome = new Promise<Outcome>((resolve) => {
    settle = resolve;
  });
  let done = false;
  const server = createServer((req, res) => {
    if (done) return page(res, 410, 'This sign-in is over. You can close this tab.');
    const answer = callback(req, state, metadata);
    if (answer === undefined)
      return page(res, 400, 'This is not the sign-in todo is waiting for. Nothing was changed.');
    done = true;
    if ('error' in answer) page(res, 400, answer.page ?? FAILED);
    else page(res, 200, 'You are signed in to todo. You can close this tab.');
    settle(answer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://${LOOPBACK_HOST}:${port}${CALLBACK_PATH}`,
    outcome,
    end: () => {
      done = true;
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * The outcome, or a timeout after {@link LOOPBACK_TIMEOUT_MS}: waited for in steps of at most a
 * second, so no timer outlives the sign-in by more.
 */
async function waitFor(io: Io, outcome: Promise<Outcome>): Promise<Outcome> {
  const deadline = io.now() + LOOPBACK_TIMEOUT_MS;
  let result: Outcome | undefined;
  void outcome.then((o) => {
    result = o;
  });
  while (result === undefined) {
    const left = deadline - io.now();
    if (left <= 0)
      return {
        error: new CliError(
          'login_failed',
          `No answer from the browser within ${LOOPBACK_TIMEOUT_MS / 60_000} minutes; run todo login again`,
        ),
      };
    await Promise.race([outcome, io.sleep(Math.min(1000, left))]);
  }
  return result;
}

/**
 * The authorization code grant for a native app (RFC 8252): a listener on 127.0.0.1 at an
 * ephemeral port (§7.3, §8.3) receives the redirect, PKCE with S256 (§8.1, RFC 7636), `state`
 * checked, `iss` checked (RFC 9207), then the code is redeemed with the verifier (and a DPoP
 * proof by `dpop`, RFC 9449 §5, with `dpop_jkt` binding the code to that key, §10). The
 * listener closes after the one redirect with the right `state`, or after the timeout.
 */
export async function loopbackLogin(
  io: Io,
  metadata: ProviderMetadata,
  clientId: string,
  scope: string,
  dpop?: DpopKey,
): Promise<TokenResponse> {
  const endpoint = metadata.authorization_endpoint;
  if (endpoint === undefined)
    throw new CliError(
      'idp_error',
      `${metadata.issuer} offers no authorization endpoint; use todo login without --browser`,
    );
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(32).toString('base64url');
  const listener = await listen(state, metadata);
  const { redirectUri } = listener;
  try {
    const url = new URL(endpoint);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(dpop === undefined ? {} : { dpop_jkt: dpop.thumbprint() }),
    }))
      url.searchParams.set(name, value);
    io.err(`To sign in, open ${url.href}`);
    if (await io.openBrowser(url.href)) io.err('(a browser window was opened for you)');
    io.err('Waiting for the browser…');
    const result = await waitFor(io, listener.outcome);
    listener.end();
    if ('error' in result) throw result.error;
    const { status, body } = await tokenRequest(
      io.fetch,
      metadata.token_endpoint,
      {
        grant_type: 'authorization_code',
        code: result.code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      },
      dpop,
    );
    const error = oauthError(body);
    if (status === 200 && error === undefined) return toTokenResponse(body, io.now(), dpop);
    throw new CliError(
      'login_failed',
      `The code could not be redeemed: ${error ? describeOAuthError(error) : `HTTP ${status}`}`,
    );
  } finally {
    listener.close();
  }
}

/**
 * Reads a request to the listener: undefined unless it is the redirect of this sign-in (the path,
 * and `state` equal to the one sent, RFC 6749 §10.12); else the code, or why the sign-in failed
 * (a parameter sent more than once, RFC 6749 §3.1, among the reasons).
 */
function callback(
  req: IncomingMessage,
  state: string,
  metadata: ProviderMetadata,
): Outcome | undefined {
  if (req.method !== 'GET') return undefined;
  const url = new URL(req.url ?? '/', `http://${LOOPBACK_HOST}`);
  if (url.pathname !== CALLBACK_PATH) return undefined;
  const params = url.searchParams;
  // Without this sign-in's state anywhere, the request is not its redirect: it cannot end it.
  if (!params.getAll('state').includes(state)) return undefined;
  const fail = (why: string): Outcome => ({ error: new CliError('login_failed', why) });
  // RFC 6749 §3.1: a response parameter is never sent more than once. Taking one copy of a
  // repeated code, state, iss or error would be a guess at which one the provider sent.
  const repeated = repeatedName(params);
  if (repeated !== undefined)
    return {
      error: new CliError(
        'login_failed',
        `The authorization response sends ${inline(repeated, 64)} more than once (RFC 6749 §3.1); nothing was redeemed`,
      ),
      page: 'The sign-in did not succeed: the answer that came back to todo had a parameter more than once, which a genuine one never has. Nothing was redeemed. Run todo login again; you can close this tab.',
    };
  // RFC 9207 §2.4: the response must come from the provider the request went to (a mix-up
  // attack sends it another's); `iss` is required when the provider says it sends it.
  const iss = params.get('iss');
  if (iss !== null && iss !== metadata.issuer)
    return fail(
      `The authorization response names the issuer ${inline(iss, 300)}, not ${metadata.issuer} (RFC 9207); nothing was redeemed`,
    );
  if (iss === null && metadata.authorization_response_iss_parameter_supported === true)
    return fail(
      'The authorization response has no iss, which the provider says it sends (RFC 9207); nothing was redeemed',
    );
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description');
    return fail(
      `The sign-in was refused: ${describeOAuthError({ error, ...(description === null ? {} : { error_description: description }) })}`,
    );
  }
  const code = params.get('code');
  if (code === null || code === '') return fail('The authorization response has no code');
  return { code };
}

/** The first parameter name `params` holds more than once, if any. */
function repeatedName(params: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  // A name seen before does not grow the set.
  return [...params.keys()].find((name) => seen.size === seen.add(name).size);
}
