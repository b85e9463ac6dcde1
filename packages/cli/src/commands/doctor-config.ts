import type { ApiConfig, DatabaseConfig } from '@todo-sso/api';
import type { IssuerOptions } from '@todo-sso/auth';
import type { StepUpLevel } from '@todo-sso/auth/diagnose';
import type { CommandContext } from '../command.js';
import { devIssuer, devPortSet } from '../dev-ports.js';
import { CliError } from '../errors.js';
import type { WebExpectations } from './doctor-web.js';

/**
 * The issuers to check, read exactly as the API reads its environment (its own loader), with
 * `--issuer`, `--audience` and `--provider` standing in for OIDC_ISSUER, OIDC_AUDIENCE and
 * OIDC_PROVIDER.
 */
export async function apiIssuers(ctx: CommandContext): Promise<{
  issuers: IssuerOptions[];
  required: readonly string[];
  source: string;
  warnings: string[];
  /** The API reads its issuers from OIDC_ISSUERS: fixes name the entries' fields. */
  issuerList: boolean;
  /**
   * The API's database: its PostgreSQL (`DATABASE_URL`), or its SQLite file when the API's own
   * environment is checked, with why the API refuses that file here, if it does.
   */
  database?: { config: DatabaseConfig; refusal?: string };
  /** The API's CORS_ORIGINS, when the API's own environment is checked (not `--issuer`). */
  corsOrigins?: readonly string[];
  /** The clients the API counts as its own and takes logout tokens for. */
  clients: Pick<WebExpectations, 'firstPartyClients' | 'logoutAudiences' | 'publicUrl'>;
  /** The issuer is the API's default, the dev IdP on this machine (no OIDC_ISSUER, OIDC_ISSUERS). */
  devIssuer?: boolean;
  /** By issuer, the level admin work asks of it (`STEP_UP_ACR` or the entry's `stepUpAcr`). */
  stepUpLevels: ReadonlyMap<string, StepUpLevel>;
}> {
  const {
    loadConfig,
    withApiDefaults,
    configWarnings,
    embeddedDatabaseRefusal,
    ConfigError,
    EVERYDAY_PERMISSIONS,
  } = await import('@todo-sso/api');
  const env: Record<string, string | undefined> = { ...ctx.io.env };
  const { issuer, audience, provider } = ctx.values as Record<string, string | undefined>;
  if (issuer !== undefined) {
    env.OIDC_ISSUER = issuer;
    env.OIDC_ISSUERS = undefined;
  } else if ((env.OIDC_ISSUERS ?? '').trim() !== '') refuseSingleIssuerFlags(audience, provider);
  const defaulted =
    issuer === undefined &&
    [env.OIDC_ISSUER, env.OIDC_ISSUERS].every((v) => (v ?? '').trim() === '');
  // The API's default issuer is the dev IdP on this machine (without DATABASE_URL only): on the
  // port IDP_PORT gives it, as `npm start` runs it and passes its issuer to the API.
  if (defaulted && env.DATABASE_URL === undefined && devPortSet(env, 'IDP_PORT'))
    env.OIDC_ISSUER = devIssuer(env);
  if (audience !== undefined) env.OIDC_AUDIENCE = audience;
  if (provider !== undefined) env.OIDC_PROVIDER = provider;
  try {
    const config = loadConfig(env);
    // Only for the API's own environment: `--issuer` checks a provider, not a deployment.
    const refusal = issuer === undefined ? embeddedDatabaseRefusal(config, env) : undefined;
    return {
      issuers: config.issuers.map(withApiDefaults),
      issuerList: (env.OIDC_ISSUERS ?? '').trim() !== '',
      required: EVERYDAY_PERMISSIONS,
      // What the API prints at start: settings it accepts but production should not run with.
      warnings: configWarnings(config, env),
      ...((config.database.kind === 'postgres' || issuer === undefined) && {
        database: { config: config.database, ...(refusal !== undefined && { refusal }) },
      }),
      ...(issuer === undefined && { corsOrigins: config.corsOrigins }),
      stepUpLevels: stepUpLevels(config),
      ...(defaulted && { devIssuer: true }),
      clients: {
        firstPartyClients: config.firstPartyClients,
        logoutAudiences: config.logoutAudiences,
        ...(config.publicUrl !== undefined && { publicUrl: config.publicUrl }),
      },
      source:
        issuer !== undefined
          ? 'the command line'
          : defaulted
            ? `the API configuration in this environment; neither OIDC_ISSUER nor OIDC_ISSUERS is set, so the API would trust its default issuer, ${config.issuers[0]?.issuer} (the dev IdP on this machine${devPortSet(env, 'IDP_PORT') ? ', on IDP_PORT' : ''}): set OIDC_ISSUER to your provider's issuer`
            : 'the API configuration in this environment',
    };
  } catch (e) {
    if (e instanceof ConfigError)
      throw new CliError('usage', `The API configuration is invalid: ${e.message}`);
    throw e;
  }
}

/**
 * The level admin work asks of each issuer, read as the API reads it (docs/step-up.md): the
 * entry's own `stepUpAcr` and `acrLevels`, else `STEP_UP_ACR` and `OIDC_ACR_LEVELS`; none while
 * `STEP_UP_ACR` is empty (freshness only, or step-up off).
 */
function stepUpLevels(config: ApiConfig): ReadonlyMap<string, StepUpLevel> {
  const byIssuer = new Map<string, StepUpLevel>();
  const asked = config.stepUp.acr;
  if (asked === undefined) return byIssuer;
  config.issuers.forEach((issuer, index) => {
    byIssuer.set(issuer.issuer, {
      acr: issuer.stepUpAcr ?? asked,
      levels: issuer.acrLevels ?? config.acrLevels,
      setting: issuer.stepUpAcr === undefined ? 'STEP_UP_ACR' : `OIDC_ISSUERS[${index}].stepUpAcr`,
    });
  });
  return byIssuer;
}

/**
 * `--audience` and `--provider` stand in for OIDC_AUDIENCE and OIDC_PROVIDER, which the API
 * refuses beside OIDC_ISSUERS (each entry has its own): given while the environment lists its
 * issuers there, they would be reported as those variables, which nobody set.
 */
function refuseSingleIssuerFlags(audience?: string, provider?: string): void {
  const given = audience !== undefined ? 'audience' : provider !== undefined ? 'provider' : '';
  if (given === '') return;
  throw new CliError(
    'usage',
    `--${given} cannot be used while OIDC_ISSUERS is set: it stands in for OIDC_${given.toUpperCase()}, which the API does not read beside OIDC_ISSUERS; set "${given}" in the OIDC_ISSUERS entry it is meant for, or check one provider with --issuer URL and --${given}`,
  );
}
