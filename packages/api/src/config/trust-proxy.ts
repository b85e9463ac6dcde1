import { isIP } from 'node:net';
import { ConfigError } from './config-error.js';

/**
 * Which reverse proxies may set `X-Forwarded-For` / `-Proto` / `-Host` (`TRUST_PROXY`):
 * `false` (none: the socket address is the client), a hop count (trust that many proxies in
 * front of the API; the client is that many entries from the right of `X-Forwarded-For`), or
 * the proxies' own addresses / CIDRs. Never "every hop": the left-most `X-Forwarded-For` entry
 * is whatever the client wrote, and trusting it lets anyone choose the address the per-address
 * rate limit and the logs see.
 */
export type TrustProxy = false | number | readonly string[];

/** Names proxy-addr (Fastify's `trustProxy`) understands besides addresses and CIDRs. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function validEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  if (extra !== undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^[0-9]{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Parses `TRUST_PROXY`.
 *
 * @throws {ConfigError} for `true` (trusting every hop) and for anything that is not a hop
 *   count or a list of addresses / CIDRs.
 * @example
 * ```ts
 * parseTrustProxy(undefined); // false
 * parseTrustProxy('1'); // 1: one proxy (an Ingress) in front
 * parseTrustProxy('10.0.0.0/8, 192.168.1.5'); // ['10.0.0.0/8', '192.168.1.5']
 * ```
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const raw = value?.trim().toLowerCase() ?? '';
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true')
    throw new ConfigError(
      'TRUST_PROXY',
      '"true" would trust every hop, so any client could choose its own address by writing X-Forwarded-For; set the number of proxies in front of the API (e.g. 1) or their addresses/CIDRs (e.g. 10.0.0.0/8)',
    );
  if (/^[0-9]+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) throw new ConfigError('TRUST_PROXY', 'a hop count must be between 0 and 10');
    return hops;
  }
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = entries.find((e) => !validEntry(e));
  if (bad !== undefined || entries.length === 0)
    throw new ConfigError(
      'TRUST_PROXY',
      `"${bad ?? raw}" is not a hop count, an IP address or a CIDR (e.g. 1, or 10.0.0.0/8,192.168.1.5)`,
    );
  return Object.freeze(entries);
}

/**
 * `TRUST_PROXY` as Fastify's `trustProxy` takes it. A hop count becomes proxy-addr's "trust
 * the first n hops" function (what Fastify itself does with a number, which its types omit).
 */
export function fastifyTrustProxy(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false || trust === 0) return false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return [...trust];
}
