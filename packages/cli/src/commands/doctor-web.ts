import type { Io } from '../io.js';
import { whyUnanswered } from '../net-failure.js';
import { inline } from '../output/terminal.js';
import { signInFinding, type WebConfig, type WebFinding } from './doctor-web-sign-in.js';

export type { WebConfig, WebFinding } from './doctor-web-sign-in.js';

/** The web app's settings as the doctor read them, and what is wrong with them. */
export interface WebReport {
  readonly configUrl: string;
  readonly config?: WebConfig;
  /** Why `/config.json` was not read (the settings were then not checked). */
  readonly unread?: string;
  /** Whether the provider takes the web app's sign-in request; absent when not asked. */
  readonly signIn?: 'accepted' | 'refused';
  readonly findings: readonly WebFinding[];
}

/** What the API trusts, from the configuration the doctor read. */
export interface WebExpectations {
  readonly issuers: readonly {
    issuer: string;
    audience?: string | readonly string[];
    /** The provider writes the client id into `aud` (Authentik), so it must be an audience. */
    audienceIsClientId?: boolean;
  }[];
  readonly firstPartyClients: readonly string[];
  readonly logoutAudiences: readonly string[];
  /** The API's public base URL (`API_PUBLIC_URL`), when set. */
  readonly publicUrl?: string;
  /** The API reads its issuers from OIDC_ISSUERS: fixes name the entries' fields. */
  readonly issuerList: boolean;
}

const WEB_VARIABLES =
  "the web app's OIDC_ISSUER, OIDC_CLIENT_ID and API_URL (its server's or the web image's environment)";

/**
 * Reads `<origin>/config.json`, which the web app's server and the web image write from
 * OIDC_ISSUER, OIDC_CLIENT_ID and API_URL, and checks those settings against the API's
 * configuration (`expect`) and the provider: the issuer must be one the API trusts, the client
 * must be one the API counts as the product's own and accepts logout tokens for, and the
 * provider must take the sign-in request the web app sends (see {@link signInFinding}).
 */
export async function webReport(io: Io, origin: string, expect: WebExpectations) {
  const configUrl = `${origin}/config.json`;
  const read = await readWebConfig(io, configUrl);
  if ('unread' in read) return { configUrl, unread: read.unread, findings: [] } as WebReport;
  if ('invalid' in read)
    return {
      configUrl,
      findings: [
        {
          code: 'web_config_invalid',
          effect: 'the web app does not start',
          problem: `${configUrl} ${read.invalid}: the web app shows "the site's operator needs to check /config.json" instead of signing anyone in.`,
          fix: { web: `Set ${WEB_VARIABLES} and restart it.` },
        },
      ],
    } as WebReport;
  const { config } = read;
  const findings = [...apiUrlFindings(origin, config, expect), ...settingsFindings(config, expect)];
  const signIn = await signInFinding(io, origin, config);
  if (signIn.finding !== undefined) findings.unshift(signIn.finding);
  return {
    configUrl,
    config,
    ...(signIn.verdict !== undefined && { signIn: signIn.verdict }),
    findings,
  } as WebReport;
}

type Read = { config: WebConfig } | { unread: string } | { invalid: string };

async function readWebConfig(io: Io, url: string): Promise<Read> {
  let response: Response;
  try {
    response = await io.fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
  } catch (e) {
    return { unread: `cannot be reached${whyUnanswered(e)}` };
  }
  if (response.status === 404)
    return {
      unread:
        'answers 404: the web app then uses the settings it was built with (VITE_OIDC_ISSUER, VITE_OIDC_CLIENT_ID, VITE_API_URL)',
    };
  if (!response.ok) return { invalid: `answers HTTP ${response.status}` };
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | null;
  const isUrl = (v: unknown) =>
    typeof v === 'string' && URL.canParse(v) && /^https?:$/.test(new URL(v).protocol);
  if (typeof body !== 'object' || body === null) return { invalid: 'is not a JSON object' };
  // Printed below: a value with a control character (a terminal escape) is not shown, nor usable.
  const printable = (v: unknown) => typeof v === 'string' && inline(v, 2000) === v;
  for (const [name, ok] of [
    ['issuer', isUrl(body.issuer)],
    ['clientId', typeof body.clientId === 'string' && body.clientId.trim() !== ''],
    ['apiUrl', isUrl(body.apiUrl)],
  ] as const)
    if (!ok || !printable(body[name])) return { invalid: `has no usable "${name}"` };
  const { issuer, clientId, apiUrl } = body as unknown as WebConfig;
  return { config: { issuer, clientId, apiUrl } };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Where the web app sends its calls (its API_URL), against where the API says it is. */
function* apiUrlFindings(origin: string, config: WebConfig, expect: WebExpectations) {
  const api = new URL(config.apiUrl);
  const shown = `${api.origin}${api.pathname.replace(/\/+$/, '')}`;
  const fix = (to: string) => ({ web: `Set the web app's API_URL=${to} and restart it.` });
  if (expect.publicUrl !== undefined && shown !== expect.publicUrl)
    yield {
      code: 'web_api_elsewhere',
      effect: 'the web app calls another API',
      problem: `The web app sends its calls to ${shown}, but the API's public URL (API_PUBLIC_URL) is ${expect.publicUrl}.`,
      fix: fix(expect.publicUrl),
    } satisfies WebFinding;
  else if (LOOPBACK.test(api.hostname) && !LOOPBACK.test(new URL(origin).hostname))
    yield {
      code: 'web_api_loopback',
      effect: 'every browser calls an API on its own machine',
      problem: `The web app opened at ${origin} sends its calls to ${shown}, a loopback address: each person's browser would look for the API on their own computer (the web server's API_URL default, http://localhost:8000, when it is unset).`,
      fix: fix("the API's public URL (https://api.todo.example.com)"),
    } satisfies WebFinding;
}

/** What the API's configuration alone says of the web app's issuer and client. */
function* settingsFindings(config: WebConfig, expect: WebExpectations): Iterable<WebFinding> {
  const { issuer, clientId } = config;
  const trusted = expect.issuers.find((i) => i.issuer === issuer);
  const audience = trusted === undefined ? [] : [trusted.audience ?? []].flat();
  const field = (name: string, variable: string) =>
    expect.issuerList ? `"${name}" in its OIDC_ISSUERS entry` : variable;
  if (trusted === undefined) {
    const names = expect.issuers.map((i) => i.issuer);
    const slash = names.find((n) => n.replace(/\/$/, '') === issuer.replace(/\/$/, ''));
    yield {
      code: 'web_issuer_untrusted',
      effect: 'the API refuses every token of the web app',
      problem: `The web app signs people in at ${issuer}, which the API does not trust (it trusts ${names.join(', ')}${slash === undefined ? '' : `; issuers are compared exactly, trailing slash included`}): every call of the web app is answered 401.`,
      fix: {
        web: `Set the web app's OIDC_ISSUER=${slash ?? names[0]} (exactly as the API's), or add ${issuer} to the API's issuers if the web app is meant to sign in there.`,
      },
    };
  }
  if (trusted?.audienceIsClientId === true && !audience.includes(clientId))
    yield {
      code: 'web_client_audience',
      effect: 'the API refuses every token of the web app',
      problem: `The provider puts the client id in aud (as Authentik does), and the API accepts ${audience.join(', ')} for ${issuer}, not ${clientId}: every call of the web app is answered 401 (audience_mismatch).`,
      fix: {
        api: `Add ${clientId} to ${field('audience', 'OIDC_AUDIENCE')}, or set the web app's OIDC_CLIENT_ID to the client it is registered as.`,
      },
    };
  if (!expect.firstPartyClients.includes(clientId))
    yield {
      code: 'web_client_not_first_party',
      effect: "the web app's people are treated as an agent",
      problem: `The web app signs in as ${clientId}, which FIRST_PARTY_CLIENTS (${expect.firstPartyClients.join(',')}) does not list: the API counts it as an AI assistant the person allowed, lists it under /me/agents and refuses it on /admin/.`,
      fix: {
        api: `Set FIRST_PARTY_CLIENTS=${[...expect.firstPartyClients, clientId].join(',')} in the API's environment, or the web app's OIDC_CLIENT_ID to the product's client.`,
      },
    };
  if (!expect.logoutAudiences.includes(clientId))
    yield {
      code: 'web_client_logout_refused',
      effect: "signing out at the provider leaves the web app's tokens accepted",
      problem: `OIDC_LOGOUT_AUDIENCE (${expect.logoutAudiences.join(',')}) does not list ${clientId}: the API refuses the provider's back-channel logout tokens for the web app's sessions, so their access tokens stay accepted until they expire.`,
      fix: {
        api: `Set OIDC_LOGOUT_AUDIENCE=${[...expect.logoutAudiences, clientId].join(',')} in the API's environment.`,
      },
    };
}

/** The report's line at the top of the doctor's answer. */
export function webLine(web: WebReport): string {
  if (web.config === undefined)
    return web.unread === undefined
      ? `web       ${web.configUrl} not usable`
      : `web       ${web.configUrl} not read: it ${web.unread}; the web app's sign-in settings were not checked`;
  const { issuer, clientId, apiUrl } = web.config;
  const signIn =
    web.signIn === undefined ? 'sign-in not checked' : `sign-in ${web.signIn} by the provider`;
  return `web       ${inline(clientId, 100)} at ${inline(issuer, 300)}, API ${inline(apiUrl, 300)} (${web.configUrl}); ${signIn}`;
}

/** The problems as findings, each with its fixes; empty when there is none. */
export function webFindings(web: WebReport): string[] {
  return web.findings.flatMap((f) => [
    `✗ ${f.code} (${f.effect})`,
    `  ${f.problem}`,
    ...(f.fix.web === undefined ? [] : [`  fix (web app configuration): ${f.fix.web}`]),
    ...(f.fix.api === undefined ? [] : [`  fix (API configuration): ${f.fix.api}`]),
    ...(f.fix.keycloak === undefined ? [] : [`  fix (Keycloak):  ${f.fix.keycloak}`]),
    ...(f.fix.authentik === undefined ? [] : [`  fix (Authentik): ${f.fix.authentik}`]),
    '',
  ]);
}
