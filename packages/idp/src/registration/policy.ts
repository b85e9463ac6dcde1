import { array, invalid, object, onlyKeys, string, strings } from '../realm/check.js';

/**
 * Anonymous dynamic client registration (RFC 7591) under Keycloak's client registration
 * policies: its "Trusted Hosts" policy (which hosts may register, and which hosts the client's
 * redirect URIs may point at) and "Max Clients Limit".
 */
export interface RegistrationPolicy {
  /** Host names or IP addresses; `localhost` stands for the loopback addresses. */
  trustedHosts: string[];
  /** The address sending the registration request must be a trusted host. */
  hostMustMatch: boolean;
  /** Every redirect URI must point at a trusted host. */
  urisMustMatch: boolean;
  maxClients: number;
}

/** Without a policy in the realm: loopback only, for registrations and redirect URIs alike. */
export const DEFAULT_REGISTRATION_POLICY: RegistrationPolicy = Object.freeze({
  trustedHosts: ['localhost', '127.0.0.1', '::1'],
  hostMustMatch: true,
  urisMustMatch: true,
  maxClients: 200,
});

export const POLICY_COMPONENT =
  'org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy';
const COMPONENT_FIELDS = ['id', 'name', 'providerId', 'subType', 'subComponents', 'config'];

function flag(config: Record<string, unknown>, key: string, path: string): boolean {
  const [value = 'true'] = strings(config[key], `${path}.config["${key}"]`);
  if (value !== 'true' && value !== 'false')
    invalid(`${path}.config["${key}"]`, 'must be ["true"] or ["false"]');
  return value === 'true';
}

/**
 * Reads the anonymous client registration policies of a realm export's `components`
 * (Keycloak's format: `config` values are lists of strings).
 */
export function parseRegistrationPolicy(components: unknown): RegistrationPolicy {
  if (components === undefined) return DEFAULT_REGISTRATION_POLICY;
  const all = object(components, 'components');
  const policy = { ...DEFAULT_REGISTRATION_POLICY, trustedHosts: [] as string[] };
  let trusted = false;
  array(all[POLICY_COMPONENT], `components["${POLICY_COMPONENT}"]`).forEach((raw, i) => {
    const path = `components["${POLICY_COMPONENT}"][${i}]`;
    const c = object(raw, path);
    onlyKeys(c, COMPONENT_FIELDS, path);
    if (c.subType !== undefined && c.subType !== 'anonymous') {
      invalid(
        `${path}.subType`,
        'must be "anonymous" (authenticated registration is not supported)',
      );
    }
    const config = object(c.config ?? {}, `${path}.config`);
    switch (string(c.providerId, `${path}.providerId`)) {
      case 'trusted-hosts':
        trusted = true;
        policy.trustedHosts = strings(config['trusted-hosts'], `${path}.config["trusted-hosts"]`);
        policy.hostMustMatch = flag(config, 'host-sending-registration-request-must-match', path);
        policy.urisMustMatch = flag(config, 'client-uris-must-match', path);
        break;
      case 'max-clients': {
        const [max = '200'] = strings(config['max-clients'], `${path}.config["max-clients"]`);
        if (!/^\d+$/.test(max)) invalid(`${path}.config["max-clients"]`, 'must be a number');
        policy.maxClients = Number(max);
        break;
      }
      default:
        invalid(`${path}.providerId`, 'must be "trusted-hosts" or "max-clients"');
    }
  });
  if (!trusted) policy.trustedHosts = [...DEFAULT_REGISTRATION_POLICY.trustedHosts];
  return policy;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Whether a host name or address is one of the trusted hosts. */
export function hostTrusted(policy: RegistrationPolicy, host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return policy.trustedHosts.some((trusted) => {
    const t = trusted.toLowerCase();
    if (t === bare) return true;
    // `localhost` is the loopback interface, whichever way it is written (RFC 8252 §7.3).
    if (t === 'localhost' || LOOPBACK.has(t)) return LOOPBACK.has(bare) || bare === 'localhost';
    return false;
  });
}
