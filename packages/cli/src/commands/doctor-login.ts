import type { IssuerOptions } from '@todo-sso/auth';
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { whatToCheck, whyUnanswered } from '../net-failure.js';
import { deviceLogin } from '../oidc/device-flow.js';
import type { ProviderMetadata } from '../oidc/discovery.js';
import { signInKey } from '../oidc/sign-in-key.js';
import { Session } from '../session.js';

/** An issuer to sign in at, and the setting that names it, for a message about it. */
export interface LoginIssuer {
  readonly issuer: string;
  readonly setting: string;
}

/**
 * The issuer `todo doctor --login` signs in at: the API's one issuer; of several (OIDC_ISSUERS),
 * the one `todo login` signs in at (--issuer is the doctor's own, so TODO_ISSUER or the last
 * login's), said on standard error with its entry. Issuers are compared exactly (OIDC Discovery
 * §4.3). When that is none of them, no sign-in could give a token the API takes for one of them:
 * the person is told which to choose.
 */
export function loginIssuer(
  ctx: CommandContext,
  issuers: readonly IssuerOptions[],
  issuerList: boolean,
): LoginIssuer {
  const [only] = issuers;
  if (issuers.length === 1 && only !== undefined) {
    const setting = ctx.values.issuer !== undefined ? '--issuer' : 'OIDC_ISSUER';
    return { issuer: only.issuer, setting: issuerList ? 'OIDC_ISSUERS[0].issuer' : setting };
  }
  const cli = ctx.settings().issuer;
  const index = issuers.findIndex((i) => i.issuer === cli);
  const chosen = issuers[index];
  const entry = (i: number) => (issuerList ? `OIDC_ISSUERS[${i}]` : `issuer ${i + 1}`);
  if (chosen === undefined)
    throw new CliError(
      'usage',
      `--login signs in where todo login does, at ${cli}, which is none of the ${issuers.length} issuers the API trusts; set TODO_ISSUER to the one to check: ${issuers.map((i, n) => `${i.issuer} (${entry(n)})`).join(', ')}`,
    );
  ctx.io.err(
    `Signing in at ${chosen.issuer} (${entry(index)}), where todo login signs in; set TODO_ISSUER to check another of the ${issuers.length} issuers the API trusts.`,
  );
  return { issuer: chosen.issuer, setting: `${entry(index)}.issuer` };
}

/**
 * A token from the device grant at `issuer` (named by `setting`), as a person using the API would sign in
 * (DPoP-bound by the same rule as `todo login`); undefined when the provider cannot be used for
 * that (unreachable, or its discovery names another issuer, OIDC Discovery §4.3) — the
 * diagnosis then explains why.
 */
export async function signIn(
  ctx: CommandContext,
  { issuer, setting }: LoginIssuer,
): Promise<string | undefined> {
  const settings = { ...ctx.settings(), issuer };
  let metadata: ProviderMetadata;
  try {
    metadata = await new Session(ctx.io, settings).metadata();
  } catch (e) {
    if (!(e instanceof CliError) || (e.code !== 'idp_error' && e.code !== 'idp_unreachable'))
      throw e;
    // The issuer is the API's, named by its setting (TODO_ISSUER, which `todo login` would
    // name, does not choose it).
    const why =
      e.code === 'idp_unreachable'
        ? `the identity provider at ${issuer} cannot be reached${whyUnanswered(e.cause)}; ${whatToCheck(e.cause, 'the identity provider', setting)}`
        : e.message;
    ctx.io.err(`No sign-in, so no token to check: ${why}`);
    return undefined;
  }
  // As `todo login` signs in: DPoP-bound when TODO_DPOP asks for it (RFC 9449 §5), so an API
  // that requires bound tokens is checked with the token the CLI would send it.
  const dpop = await signInKey(ctx.io.fetch, settings, metadata);
  return (await deviceLogin(ctx.io, metadata, settings.clientId, settings.scope, dpop)).accessToken;
}
