import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import { whyUnanswered } from '../net-failure.js';
import { inline } from '../output/terminal.js';

/**
 * The headers the web app's requests carry beyond the CORS-safelisted ones (Fetch standard,
 * "CORS-unsafe request-header names"): its access token, JSON bodies and a create's
 * `Idempotency-Key`. A preflight asks for them as the browser does before the first create.
 */
const REQUEST_HEADERS = ['authorization', 'content-type', 'idempotency-key'];

/** Whether the web app opened at `origin` may call the API, as the doctor found it. */
export interface CorsReport {
  readonly origin: string;
  readonly apiUrl: string;
  /** The running API's answer to a preflight from `origin`. */
  readonly preflight: 'allowed' | 'refused' | 'unreachable';
  /** Why the preflight got no answer, in parentheses (see whyUnanswered); with `unreachable`. */
  readonly unreachable?: string;
  /** Whether this environment's CORS_ORIGINS lists `origin`; absent when it is not the API's. */
  readonly listed?: boolean;
  /** `cors_origin_refused`, `cors_origin_unlisted` or `cors_unchecked`. */
  readonly code?: string;
  readonly problem?: string;
  readonly fix?: string;
}

/**
 * `--web-origin` as a browser sends it in `Origin` (RFC 6454 §6.2: scheme, host and port, no
 * path); a trailing `/` alone is dropped. Anything more is a usage error, exit 2.
 */
export function webOrigin(value: string): string {
  const parsed = URL.canParse(value) ? new URL(value) : undefined;
  if (
    parsed === undefined ||
    !['http:', 'https:'].includes(parsed.protocol) ||
    parsed.pathname !== '/' ||
    parsed.search !== '' ||
    parsed.hash !== '' ||
    parsed.username !== '' ||
    parsed.password !== '' ||
    !/^https?:\/\/[^/?#]+\/?$/.test(value)
  )
    throw new CliError(
      'usage',
      `--web-origin must be the origin the web app is opened at, scheme, host and port without a path (https://todo.example.com), got "${inline(value, 300)}"`,
    );
  return parsed.origin;
}

/** What the preflight's answer says of `origin`: allowed, or why not. */
function preflightVerdict(response: Response, origin: string): string | undefined {
  const allowOrigin = response.headers.get('access-control-allow-origin');
  if (!response.ok) return `answers the preflight with HTTP ${response.status}`;
  if (allowOrigin !== origin && allowOrigin !== '*')
    return allowOrigin === null
      ? 'answers the preflight without Access-Control-Allow-Origin'
      : `answers the preflight with Access-Control-Allow-Origin: ${inline(allowOrigin, 300)}`;
  const allowed = (response.headers.get('access-control-allow-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  const missing = REQUEST_HEADERS.filter((h) => !allowed.includes(h));
  if (missing.length > 0)
    return `allows the origin but not the request headers ${missing.join(', ')} (an older API?)`;
  return undefined;
}

/**
 * Sends the preflight a browser sends before the web app's first create (Fetch standard, "CORS
 * protocol": `OPTIONS` with `Origin`, `Access-Control-Request-Method` and
 * `Access-Control-Request-Headers`) to the API at `apiUrl`, and compares the origin with
 * `corsOrigins`, this environment's CORS_ORIGINS when the doctor reads the API's environment.
 * A refused origin makes the browser refuse every call of the web app, however right the rest is.
 */
export async function corsReport(
  io: Io,
  apiUrl: string,
  origin: string,
  corsOrigins: readonly string[] | undefined,
): Promise<CorsReport> {
  let verdict: string | undefined;
  let preflight: CorsReport['preflight'];
  let why = '';
  try {
    const response = await io.fetch(`${apiUrl}/todos/`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': REQUEST_HEADERS.join(', '),
      },
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel().catch(() => {});
    verdict = preflightVerdict(response, origin);
    preflight = verdict === undefined ? 'allowed' : 'refused';
  } catch (e) {
    preflight = 'unreachable';
    why = whyUnanswered(e);
  }
  const listed = corsOrigins?.includes(origin);
  const base = {
    origin,
    apiUrl,
    preflight,
    ...(why === '' ? {} : { unreachable: why.trim() }),
    ...(listed === undefined ? {} : { listed }),
  };
  const wanted = `CORS_ORIGINS=${[...(corsOrigins ?? []), ...(listed ? [] : [origin])].join(',')}`;
  const add =
    corsOrigins === undefined
      ? `add ${origin} to the API's CORS_ORIGINS (a comma list of origins) and restart the API`
      : `set ${wanted} in the API's environment and restart the API`;
  if (preflight === 'refused')
    return {
      ...base,
      code: 'cors_origin_refused',
      problem: `The API at ${apiUrl} ${verdict}: the browser refuses every call of the web app opened at ${origin} (CORS).`,
      fix: listed
        ? `CORS_ORIGINS in this environment lists ${origin}, so the API at ${apiUrl} runs with another one (or it is not that API): restart it with ${wanted}.`
        : `To let the web app at ${origin} call the API, ${add}.`,
    };
  if (preflight === 'unreachable')
    return {
      ...base,
      code: 'cors_unchecked',
      problem: `The API at ${apiUrl} cannot be reached${why}, so whether it allows ${origin} is unknown${listed === false ? `; CORS_ORIGINS in this environment does not list ${origin}` : ''}.`,
      fix: `Start the API, or name where it runs with --api (TODO_API_URL)${listed === false ? `; and ${add}` : ''}.`,
    };
  if (listed === false)
    return {
      ...base,
      code: 'cors_origin_unlisted',
      problem: `The API at ${apiUrl} allows ${origin}, but CORS_ORIGINS in this environment does not list it: the API started with this environment would refuse the web app (CORS).`,
      fix: `To keep the web app at ${origin} working, ${add}.`,
    };
  return base;
}

/** The report's line at the top of the doctor's answer. */
export function corsLine(cors: CorsReport): string {
  const at = `by the API at ${cors.apiUrl}`;
  if (cors.preflight === 'unreachable')
    return `cors      ${cors.origin} not checked: the API at ${cors.apiUrl} cannot be reached${cors.unreachable === undefined ? '' : ` ${cors.unreachable}`}`;
  return `cors      ${cors.origin} ${cors.preflight} ${at}`;
}

/** The problem as a finding, with what it does to the web app; empty when there is none. */
export function corsFinding(cors: CorsReport): string[] {
  if (cors.problem === undefined) return [];
  const effect =
    cors.code === 'cors_origin_refused'
      ? 'the browser refuses every call of the web app'
      : cors.code === 'cors_origin_unlisted'
        ? 'the web app stops working when the API restarts with this environment'
        : 'the web app may not be allowed to call the API';
  return [
    `✗ ${cors.code} (${effect})`,
    `  ${cors.problem}`,
    `  fix (API configuration): ${cors.fix}`,
    '',
  ];
}
