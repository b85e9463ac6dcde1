import { isIP } from 'node:net';

/** The eight 16-bit groups of a valid IPv6 address (`isIP(address) === 6`, no zone). */
function ipv6Groups(address: string): number[] {
  const hex = (half: string): number[] =>
    half === ''
      ? []
      : half.split(':').flatMap((group) => {
          if (!group.includes('.')) return [Number.parseInt(group, 16)];
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = address.split('::');
  if (tail === undefined) return hex(head);
  const front = hex(head);
  const back = hex(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * The per-address limit's key of a client address: an IPv4 address itself (also when written
 * IPv4-mapped, `::ffff:a.b.c.d`, RFC 4291 §2.5.5.2), an IPv6 address's /64. One subscriber is
 * given at least a /64 (RFC 6177 §3, RFC 7421 §1) and picks its interface ids freely (privacy
 * addresses, RFC 8981), so a key per full IPv6 address would let one client take a new address,
 * and a fresh budget, for every request. The logs keep the full address.
 */
export function addressKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const address = ip.split('%')[0] as string;
  if (isIP(address) !== 6) return ip;
  const g = ipv6Groups(address);
  if (g.slice(0, 5).every((n) => n === 0) && g[5] === 0xffff) {
    const [high = 0, low = 0] = g.slice(6);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `${g
    .slice(0, 4)
    .map((n) => n.toString(16))
    .join(':')}::/64`;
}
