import { isIPv4, isIPv6 } from 'node:net';

/** `localhost` (RFC 6761 §6.3), 127.0.0.0/8 or ::1: a name or address of this machine alone. */
export function isLoopbackHostname(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || isLoopbackAddress(bare);
}

/**
 * A loopback IP address, IPv4-mapped IPv6 included (RFC 4291 §2.5.5.2): `::ffff:127.0.0.1` as a
 * socket reports it, and `::ffff:7f00:1` as the URL parser writes the same address in a URL's
 * host (`http://[::ffff:127.0.0.1]/` has the hostname `[::ffff:7f00:1]`).
 */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.startsWith('127.');
  if (!isIPv6(address)) return false;
  const literal = `http://[${address}]`;
  if (!URL.canParse(literal)) return false;
  const host = new URL(literal).hostname;
  // 127.0.0.0/8 mapped: the first of the two last hextets is 7f00 to 7fff.
  return host === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}
