import type { Diagnosis, Finding } from '@todo-sso/auth/diagnose';
import type { Command, CommandContext } from '../command.js';
import { devPort } from '../dev-ports.js';
import { CliError } from '../errors.js';
import { inline } from '../output/terminal.js';
import { apiIssuers } from './doctor-config.js';
import { type CorsReport, corsFinding, corsLine, corsReport, webOrigin } from './doctor-cors.js';
import {
  type DatabaseReport,
  databaseFinding,
  databaseLines,
  databaseReport,
} from './doctor-database.js';
import { unverifiedEmailWarning } from './doctor-email.js';
import { loginIssuer, signIn } from './doctor-login.js';
import { type WebReport, webFindings, webLine, webReport } from './doctor-web.js';
import { givenToken } from './token-input.js';

/**
 * A finding's sentence on its one line: it may quote what a token or a provider said (a token's
 * `iss`, a discovery document's `jwks_uri`), whose line breaks would otherwise print lines of
 * their own that read as the doctor's ("No problems found").
 */
const oneLine = (text: string) => inline(text, Number.POSITIVE_INFINITY);

function describeFinding(f: Finding): string[] {
  const lines = [
    `✗ ${f.code}${f.apiCode ? ` (the API answers ${f.apiCode})` : ''}`,
    `  ${oneLine(f.summary)}`,
  ];
  // What the token or the provider said, on one line each (see terminal.ts).
  if (f.expected !== undefined) lines.push(`  expected: ${inline(String(f.expected))}`);
  if (f.received !== undefined) lines.push(`  received: ${inline(String(f.received))}`);
  if (f.fix.config !== undefined) lines.push(`  fix (API configuration): ${oneLine(f.fix.config)}`);
  lines.push(
    `  fix (Keycloak):  ${oneLine(f.fix.keycloak)}`,
    `  fix (Authentik): ${oneLine(f.fix.authentik)}`,
  );
  return lines;
}

function render(
  d: Diagnosis,
  source: string,
  warnings: readonly string[],
  database: DatabaseReport | undefined,
  cors: CorsReport | undefined,
  web: WebReport | undefined,
  unanswered: string,
): string {
  const lines = [`Checked ${source}.`];
  if (database !== undefined) lines.push(...databaseLines(database));
  if (cors !== undefined) lines.push(corsLine(cors));
  if (web !== undefined) lines.push(webLine(web));
  for (const i of d.issuers) {
    lines.push(`issuer ${i.issuer}`);
    lines.push(
      `  discovery ${i.advertisedIssuer === undefined ? `unreachable${unanswered}` : `ok (${i.metadataUrl})`}`,
    );
    const usable = i.keys.filter((k) => k.usable).map((k) => k.alg ?? k.kty ?? '?');
    lines.push(
      `  keys      ${i.ready ? `${usable.length} usable (${usable.join(', ')})` : 'not usable'}`,
    );
    if (i.clockSkewSec !== undefined)
      lines.push(
        `  clock     ${i.clockSkewSec >= 0 ? '+' : ''}${i.clockSkewSec} s against the provider`,
      );
  }
  if (d.token !== undefined)
    lines.push(
      d.token.accepted
        ? `token     accepted for ${inline(String(d.token.username ?? d.token.subject))} (permissions: ${inline((d.token.permissions ?? []).join(', '), 1000) || 'none'})`
        : `token     refused: ${inline(String(d.token.refusal))}`,
    );
  lines.push('');
  if (database !== undefined) lines.push(...databaseFinding(database));
  if (cors !== undefined) lines.push(...corsFinding(cors));
  if (web !== undefined) lines.push(...webFindings(web));
  for (const f of d.findings) lines.push(...describeFinding(f), '');
  for (const warning of warnings) lines.push(`warning: ${warning}`, '');
  const problems =
    d.findings.length +
    (database?.problem === undefined ? 0 : 1) +
    (cors?.problem === undefined ? 0 : 1) +
    (web?.findings.length ?? 0);
  lines.push(
    problems === 0
      ? 'No problems found: the API would accept this setup.'
      : `${problems} problem${problems === 1 ? '' : 's'} found: the API would refuse this setup.`,
  );
  return lines.join('\n');
}

/**
 * What follows `discovery unreachable` for the API's default issuer, the dev IdP on this machine:
 * `npm start` may run it on another port (IDP_PORT), and the API on another one (API_PORT). It
 * says no dev IdP is on the port, not that nothing answers there: another server on that port
 * (a 404, a page that is not JSON) is unreachable discovery too, and its finding says what came.
 */
function devIdpHint(ctx: CommandContext, devIssuer: boolean | undefined): string {
  if (devIssuer !== true) return '';
  return ` (no dev IdP on port ${devPort(ctx.io.env, 'IDP_PORT')}: npm start runs it on IDP_PORT, 8080 when unset, and the API on API_PORT, 8000 when unset; run the doctor with the same IDP_PORT and API_PORT as npm start, or set OIDC_ISSUER to your provider's issuer)`;
}

/** `todo doctor`: why the API would refuse this setup or this token, and how to fix it. */
export const doctor: Command = {
  usage:
    'todo doctor [--issuer URL] [--audience A] [--provider keycloak|authentik|generic] [--token-file PATH | --token - | --token TOKEN | --login] [--web-origin ORIGIN]',
  summary: 'check the API’s identity-provider setup (and a token) and explain every problem',
  details:
    "Reads the API's own environment (OIDC_ISSUER or OIDC_ISSUERS, OIDC_AUDIENCE, DATABASE_URL, CORS_ORIGINS …); --issuer, --audience and --provider stand in for OIDC_ISSUER, OIDC_AUDIENCE and OIDC_PROVIDER.\nA token to check: prefer --token-file PATH or --token - (read from standard input); --token TOKEN puts it in your shell history and in the process list. The token is never printed. --login signs in by the device grant first (at the issuer todo login uses, when the API trusts several) and checks that token.\n--web-origin ORIGIN (https://todo.example.com, where people open the web app): sends the API at --api (TODO_API_URL) the CORS preflight a browser sends from there, and checks the origin against CORS_ORIGINS; then reads the web app's ORIGIN/config.json and checks its issuer and client against the API's configuration and the provider (which is sent the web app's sign-in request; nobody signs in).",
  options: {
    audience: { type: 'string' },
    provider: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    login: { type: 'boolean' },
    'web-origin': { type: 'string' },
  },
  maxPositionals: 0,
  async run(ctx) {
    // The command line first: a token input that cannot be read is reported before the API's
    // configuration and the token checks are loaded (about 2 s of CPU), and whatever the
    // configuration says.
    const given = ctx.values['web-origin'];
    const origin = typeof given === 'string' ? webOrigin(given) : undefined;
    if (ctx.values.login && (ctx.values.token ?? ctx.values['token-file']) !== undefined)
      throw new CliError('usage', '--token or --token-file and --login exclude each other');
    let token = await givenToken(ctx);
    const { diagnose } = await import('@todo-sso/auth/diagnose');
    const { PROFILES } = await import('@todo-sso/auth');
    const { issuers, issuerList, required, source, warnings, corsOrigins, clients, ...api } =
      await apiIssuers(ctx);
    const db = api.database;
    if (ctx.values.login) token = await signIn(ctx, loginIssuer(ctx, issuers, issuerList));
    const email = unverifiedEmailWarning(token);
    if (email !== undefined) warnings.push(email);
    const diagnosis = await diagnose({
      issuers,
      issuerList,
      requiredPermissions: required,
      stepUpLevels: api.stepUpLevels,
      ...(token === undefined ? {} : { token }),
      fetch: ctx.io.fetch,
      now: () => ctx.io.now(),
    });
    // The API migrates its database at start: one it cannot use stops it before any token.
    const database = db === undefined ? undefined : await databaseReport(db.config, db.refusal);
    // The web app's origin must be one the API allows, or the browser refuses every call.
    const cors =
      origin === undefined
        ? undefined
        : await corsReport(ctx.io, ctx.settings().apiUrl, origin, corsOrigins);
    // What the web app opened there signs in with (its /config.json), against the API and the provider.
    const web =
      origin === undefined
        ? undefined
        : await webReport(ctx.io, origin, {
            issuers: issuers.map((i) => ({
              ...i,
              audienceIsClientId: PROFILES[i.profile ?? 'keycloak'].audienceIsClientId,
            })),
            issuerList,
            ...clients,
          });
    const ok =
      diagnosis.ok &&
      database?.problem === undefined &&
      cors?.problem === undefined &&
      (web?.findings.length ?? 0) === 0;
    ctx.print(
      {
        ...diagnosis,
        ok,
        ...(warnings.length > 0 && { warnings }),
        ...(database !== undefined && { database }),
        ...(cors !== undefined && { cors }),
        ...(web !== undefined && { web }),
      },
      () =>
        render(diagnosis, source, warnings, database, cors, web, devIdpHint(ctx, api.devIssuer)),
    );
    return ok ? 0 : 1;
  },
};
