/**
 * `@todo-sso/auth/diagnose`: explains why the API would refuse a setup or a token, with the fix
 * for Keycloak and Authentik. Every verdict comes from the authenticator itself (discovery,
 * readiness, `authenticate`); this module only adds the explanation, so it cannot disagree with
 * the API.
 *
 * @packageDocumentation
 */
import { type ResolvedIssuer, resolveIssuer } from '../config.js';
import { isAuthError } from '../errors.js';
import { missingPermissions } from '../policy/permissions.js';
import type { Principal } from '../principal.js';
import { type DecodedToken, decodeToken } from '../token/decode.js';
import { unboundTokenFinding } from './capability-findings.js';
import { unnamedClientFinding } from './client-finding.js';
import { apiLikeAuthenticator, type CheckContext, checkIssuer } from './issuer-checks.js';
import { rolesFinding } from './roles-finding.js';
import { withoutUrlSecrets } from './shown-url.js';
import { explainRefusal, settingNames } from './token-findings.js';
import type { DiagnoseOptions, Diagnosis, Finding, IssuerReport, TokenReport } from './types.js';

export type { RefusalExplainer, RefusalExplanation } from './explain.js';
export { createRefusalExplainer } from './explain.js';
export { issuerDifference } from './issuer-difference.js';
export { explainRefusal } from './token-findings.js';
export type {
  DiagnoseOptions,
  Diagnosis,
  Finding,
  FindingCode,
  Fix,
  IssuerReport,
  StepUpLevel,
  TokenReport,
} from './types.js';

function recordingFetch(inner: typeof fetch): {
  fetch: typeof fetch;
  lastDate(): string | undefined;
} {
  let last: string | undefined;
  return {
    fetch: async (input, init) => {
      const response = await inner(input, init);
      last = response.headers.get('date') ?? undefined;
      return response;
    },
    lastDate: () => last,
  };
}

/** A finding about the issuer's keys that already says why the token was refused. */
function explains(keys: Finding, token: Finding): boolean {
  return keys.code === 'signing_key_disclosed' && token.code === 'key_unknown';
}

function decoded(token: string): DecodedToken | undefined {
  try {
    return decodeToken(token);
  } catch {
    return undefined;
  }
}

async function checkToken(
  options: DiagnoseOptions,
  token: string,
  resolved: readonly ResolvedIssuer[],
  ctx: CheckContext,
): Promise<{ report: TokenReport; findings: Finding[] }> {
  // The API's own authenticator, with the API's own options: its verdict is the API's verdict.
  const auth = apiLikeAuthenticator(options.issuers, ctx);
  const parts = decoded(token);
  const issuer = resolved.find((i) => i.issuer === parts?.payload.iss);
  let principal: Principal;
  try {
    principal = await auth.authenticate(token);
  } catch (e) {
    if (!isAuthError(e)) throw e;
    const nowSec = Math.floor(ctx.now() / 1000);
    return {
      report: { accepted: false, refusal: e.code },
      findings: explainRefusal(e, parts, issuer, resolved, nowSec, options.issuerList === true),
    };
  } finally {
    auth.close();
  }
  const required = options.requiredPermissions ?? [];
  const missing = missingPermissions(principal, required);
  const owner = resolved.find((i) => i.issuer === principal.issuer) as ResolvedIssuer;
  const name = settingNames(options.issuerList === true, resolved, owner.issuer);
  return {
    report: {
      accepted: true,
      subject: principal.subject,
      ...(principal.username === undefined ? {} : { username: principal.username }),
      roles: principal.roles,
      permissions: principal.permissions,
      missingPermissions: missing,
    },
    findings: [
      unboundTokenFinding(owner, principal, name),
      unnamedClientFinding(owner, principal),
      missing.length > 0 ? rolesFinding(owner, principal, missing, name) : undefined,
    ].filter((f): f is Finding => f !== undefined),
  };
}

/**
 * Diagnoses the API's issuer configuration and, optionally, a token.
 *
 * @example
 * ```ts
 * const { ok, findings } = await diagnose({ issuers: config.issuers, token });
 * for (const f of findings) console.log(f.code, f.summary, f.fix.keycloak);
 * ```
 */
export async function diagnose(options: DiagnoseOptions): Promise<Diagnosis> {
  const recorder = recordingFetch(options.fetch ?? globalThis.fetch);
  const ctx: CheckContext = {
    fetch: recorder.fetch,
    lastDate: recorder.lastDate,
    now: options.now ?? Date.now,
    timeoutMs: options.httpTimeoutMs ?? 5000,
  };
  const findings: Finding[] = [];
  const resolved: ResolvedIssuer[] = [];
  for (const o of options.issuers) {
    try {
      resolved.push(resolveIssuer(o));
    } catch (e) {
      findings.push({
        code: 'config_invalid',
        check: 'config',
        issuer: String(o.issuer),
        summary: `The issuer configuration is invalid: ${(e as Error).message}.`,
        fix: {
          keycloak: 'See the configuration reference.',
          authentik: 'See the configuration reference.',
        },
      });
    }
  }
  if (findings.length > 0) return withoutUrlSecrets({ ok: false, issuers: [], findings });
  const issuers: IssuerReport[] = [];
  for (const [index, issuer] of resolved.entries()) {
    const checked = await checkIssuer(
      options.issuers[index] as DiagnoseOptions['issuers'][number],
      issuer,
      {
        ...ctx,
        name: settingNames(options.issuerList === true, resolved, issuer.issuer),
        stepUp: options.stepUpLevels?.get(issuer.issuer),
      },
    );
    issuers.push(checked.report);
    findings.push(...checked.findings);
  }
  let token: TokenReport | undefined;
  if (options.token !== undefined) {
    const checked = await checkToken(options, options.token, resolved, ctx);
    token = checked.report;
    // A refusal already explained by the configuration (same code, or a key the provider
    // disclosed for a token refused as signed by no trusted key) is not repeated.
    for (const f of checked.findings)
      if (!findings.some((g) => g.issuer === f.issuer && (g.code === f.code || explains(g, f))))
        findings.push(f);
  }
  // What the doctor prints: URLs without a password or a token (OIDC_DISCOVERY_URL may hold one).
  return withoutUrlSecrets({
    ok: findings.length === 0,
    issuers,
    ...(token === undefined ? {} : { token }),
    findings,
  });
}
