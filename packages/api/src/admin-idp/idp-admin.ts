import type { ApiConfig } from '../config/config.js';
import { ApiError } from '../http/problem.js';
import { createAdminClient, idpAdminTarget } from './connection.js';
import { IdpAdminService } from './service.js';

/** The identity provider's admin API as configured: a service, or why there is none. */
export interface IdpAdmin {
  readonly service?: IdpAdminService;
  /** Why the admin routes answer 501 (no Keycloak profile, no credentials). */
  readonly unsupported?: string;
  /** The service, or 501 with the explanation. */
  require(): IdpAdminService;
}

/**
 * Builds the admin API access from the configuration, once at start-up (no request is made
 * until a route needs one).
 *
 * @example
 * ```ts
 * const idp = createIdpAdmin(config, { timeoutMs: 5000, now: Date.now });
 * const { items } = await idp.require().listUsers('car');
 * ```
 */
export function createIdpAdmin(
  config: ApiConfig,
  options: { readonly timeoutMs: number; readonly now: () => number },
): IdpAdmin {
  const target = idpAdminTarget(config);
  if ('unsupported' in target) {
    const unsupported = target.unsupported;
    return {
      unsupported,
      require() {
        throw new ApiError('not_implemented', unsupported);
      },
    };
  }
  const service = new IdpAdminService(() => createAdminClient(target, options), target);
  return { service, require: () => service };
}
