import type { Principal } from '@todo-sso/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { addressKey, FixedWindowLimiter, perSubjectLimit } from '../src/http/rate-limit.js';

/** A limiter on a clock the test moves by hand. */
function limiter(max: number, windowMs: number, maxKeys?: number) {
  const clock = { now: 1_000_000 };
  return { clock, limit: new FixedWindowLimiter(max, windowMs, maxKeys, () => clock.now) };
}

describe('FixedWindowLimiter', () => {
  it('lets max requests through in a window and refuses the next, with the seconds left', () => {
    const { clock, limit } = limiter(3, 60_000);
    const states = [1, 2, 3, 4].map(() => limit.hit('a'));
    expect(states.map((s) => s.exceeded)).toEqual([false, false, false, true]);
    expect(states.map((s) => s.remaining)).toEqual([2, 1, 0, 0]);
    expect(states[0]).toMatchObject({ limit: 3, resetSeconds: 60 });
    clock.now += 20_500;
    expect(limit.hit('a')).toMatchObject({ exceeded: true, resetSeconds: 40 });
  });

  it('counts each key apart', () => {
    const { limit } = limiter(1, 60_000);
    expect(limit.hit('a').exceeded).toBe(false);
    expect(limit.hit('a').exceeded).toBe(true);
    expect(limit.hit('b').exceeded).toBe(false);
  });

  it('starts a new window once the key’s window has ended, and not a millisecond before', () => {
    const { clock, limit } = limiter(1, 60_000);
    limit.hit('a');
    clock.now += 59_999;
    expect(limit.hit('a').exceeded).toBe(true);
    clock.now += 1;
    expect(limit.hit('a')).toMatchObject({ exceeded: false, remaining: 0, resetSeconds: 60 });
  });

  it('drops ended windows as new keys arrive, so memory follows the live keys', () => {
    const { clock, limit } = limiter(5, 1_000);
    for (let i = 0; i < 100; i += 1) limit.hit(`k${i}`);
    expect(limit.size).toBe(100);
    clock.now += 1_000;
    limit.hit('fresh');
    expect(limit.size).toBe(1);
  });

  it('tracks at most maxKeys keys, dropping the oldest window first', () => {
    const { clock, limit } = limiter(1, 60_000, 3);
    for (const key of ['a', 'b', 'c']) {
      limit.hit(key);
      clock.now += 1;
    }
    limit.hit('d');
    expect(limit.size).toBe(3);
    // `a` was dropped (it starts afresh); `b` still counts its first request.
    expect(limit.hit('b').exceeded).toBe(true);
    expect(limit.size).toBe(3);
  });

  it('orders a restarted window by its new start when dropping the oldest', () => {
    const { clock, limit } = limiter(1, 1_000, 3);
    limit.hit('a');
    clock.now += 500;
    limit.hit('b');
    limit.hit('c');
    clock.now += 500; // `a`'s window ended; `b` and `c` still count
    expect(limit.hit('a').exceeded).toBe(false); // restarted: now the newest window
    limit.hit('d'); // full: `b` is the oldest live window and is dropped, not `a`
    expect(limit.size).toBe(3);
    expect(limit.hit('a').exceeded).toBe(true);
    expect(limit.hit('c').exceeded).toBe(true);
    expect(limit.hit('b').exceeded).toBe(false); // dropped, so it starts afresh
  });

  it('keeps the oldest-first order over many more keys than it tracks', () => {
    const { clock, limit } = limiter(1, 60_000, 100);
    for (let i = 0; i < 5_000; i += 1) {
      limit.hit(`k${i}`);
      clock.now += 1;
    }
    expect(limit.size).toBe(100);
    // The last 100 keys still count their request; the one before them was dropped.
    expect(limit.hit('k4900').exceeded).toBe(true);
    expect(limit.hit('k4999').exceeded).toBe(true);
    expect(limit.hit('k4899').exceeded).toBe(false);
  });

  it('refuses a limit that could never let a request through', () => {
    expect(() => new FixedWindowLimiter(0, 60_000)).toThrow(TypeError);
    expect(() => new FixedWindowLimiter(Number.NaN, 60_000)).toThrow(TypeError);
    expect(() => new FixedWindowLimiter(5, 0)).toThrow(TypeError);
  });
});

describe('perSubjectLimit', () => {
  /** A protected request of `sub` at `iss`, and the headers its reply was given. */
  function call(count: (req: FastifyRequest, rep: FastifyReply) => void, iss: string, sub: string) {
    const headers: Record<string, unknown> = {};
    const principal = Object.freeze({ issuer: iss, subject: sub }) as unknown as Principal;
    const request = { principal, addressLimit: null } as unknown as FastifyRequest;
    const reply = {
      header(name: string, value: unknown) {
        headers[name] = value;
        return reply;
      },
    } as unknown as FastifyReply;
    try {
      count(request, reply);
      return { refused: false, headers };
    } catch (error) {
      return { refused: (error as { code?: string }).code === 'rate_limited', headers };
    }
  }

  it('counts a subject across its tokens, and the same subject at another issuer apart', () => {
    const made: string[] = [];
    const count = perSubjectLimit(() => {
      made.push('limiter');
      return new FixedWindowLimiter(2, 60_000);
    });
    const a = 'https://a.example/realms/x';
    const b = 'https://b.example/realms/x';
    // Each call is a new principal (a new token) of the same person: one count.
    expect(call(count, a, 'alice').refused).toBe(false);
    expect(call(count, a, `${'ali'}ce`).headers['x-ratelimit-remaining']).toBe(0);
    expect(call(count, a, 'alice').refused).toBe(true);
    // `sub` is unique only within its issuer (OIDC Core §2): another caller, counted apart.
    expect(call(count, b, 'alice')).toMatchObject({
      refused: false,
      headers: { 'x-ratelimit-remaining': 1 },
    });
    expect(call(count, a, 'bob').refused).toBe(false);
    expect(made).toHaveLength(2);
  });
});

describe('addressKey: what the per-address limit counts by', () => {
  it.each([
    ['203.0.113.5', '203.0.113.5'],
    ['::ffff:203.0.113.5', '203.0.113.5'],
    ['0:0:0:0:0:ffff:cb00:7105', '203.0.113.5'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0DB8:0000:0000:ffff:0:cb00:7105', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::203.0.113.5', '64:ff9b:0:0::/64'],
    ['not-an-address', 'not-an-address'],
    ['2001:db8:::1', '2001:db8:::1'],
  ])('%s counts as %s', (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });
});
