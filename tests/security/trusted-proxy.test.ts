import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { buildApp, ConfigError, createContext, loadConfig } from '@todo-sso/api';
import { startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';

/** An API listening on 127.0.0.1 whose log lines are collected. */
async function startLoggedApi(idp: TestIssuer, database: SuiteDatabase, trustProxy?: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({
    OIDC_ISSUER: idp.issuer,
    OIDC_AUDIENCE: 'todo-api',
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '5',
    ...(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }),
    ...database.env,
  });
  const context = await createContext(config, { logger: pino({ level: 'info' }, sink) });
  const app = await buildApp(context);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const call = (forwardedFor?: string) =>
    fetch(`${url}/todos/`, {
      headers: {
        authorization: 'Bearer not-a-token',
        ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
      },
    }).then((r) => r.status);
  const addresses = () =>
    lines.filter((l) => l.msg === 'request completed').map((l) => l.remoteAddress);
  return {
    call,
    addresses,
    async close() {
      await app.close();
      await context.close();
    },
  };
}

/**
 * X-Forwarded-For is a list the client starts and each proxy appends to: only the entries the
 * trusted proxies added are facts. A client writing its own left-most entries must change
 * neither the per-address rate-limit key nor the address in the logs.
 */
describe('TRUST_PROXY', () => {
  let idp: TestIssuer;
  let database: SuiteDatabase;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    database = sqliteDatabase();
  });
  afterAll(async () => {
    await idp?.close();
    await database?.drop();
  });

  for (const trust of ['1', '127.0.0.1/32', 'loopback, 10.0.0.0/8']) {
    it(`TRUST_PROXY=${trust}: a spoofed left-most X-Forwarded-For changes neither the rate-limit key nor the logged address`, async () => {
      const api = await startLoggedApi(idp, database, trust);
      try {
        // The proxy (this socket, 127.0.0.1) appended 203.0.113.7, the address it saw.
        const statuses = [];
        for (let i = 0; i < 6; i += 1)
          statuses.push(await api.call(`198.51.100.${i}, 10.9.9.${i}, 203.0.113.7`));
        expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
        // Another client behind the same proxy has its own budget.
        expect(await api.call('198.51.100.1, 203.0.113.8')).toBe(401);
        expect(api.addresses()).toEqual([...Array(6).fill('203.0.113.7'), '203.0.113.8']);
      } finally {
        await api.close();
      }
    });
  }

  it('TRUST_PROXY=1: IPv6 clients are counted per /64, so a new interface id per request does not escape the limit', async () => {
    const api = await startLoggedApi(idp, database, '1');
    try {
      // One subscriber's /64, written six ways: new interface ids, zero-padded, compressed.
      const sameNetwork = [
        '2001:db8:a:b::1',
        '2001:db8:a:b:1:2:3:4',
        '2001:0db8:000a:000b:ffff::',
        '2001:DB8:A:B:dead:beef:0:1',
        '2001:db8:a:b:0:0:0:9',
        '2001:db8:a:b::c0ff:ee',
      ];
      const statuses = [];
      for (const address of sameNetwork) statuses.push(await api.call(`198.51.100.9, ${address}`));
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      // The next /64 is another subscriber, with its own budget.
      expect(await api.call('2001:db8:a:c::1')).toBe(401);
      // The logs keep the full address: the grouping is the limit's, not the record's.
      expect(api.addresses()).toEqual([...sameNetwork, '2001:db8:a:c::1']);
    } finally {
      await api.close();
    }
  });

  it('TRUST_PROXY=1: an IPv4 client is one key whether the proxy writes it IPv4-mapped or not', async () => {
    const api = await startLoggedApi(idp, database, '1');
    try {
      const statuses = [];
      for (let i = 0; i < 6; i += 1)
        statuses.push(await api.call(i % 2 ? '::ffff:203.0.113.50' : '203.0.113.50'));
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    } finally {
      await api.close();
    }
  });

  it('unset: X-Forwarded-For is ignored, the socket address is the client', async () => {
    const api = await startLoggedApi(idp, database);
    try {
      const statuses = [];
      for (let i = 0; i < 6; i += 1) statuses.push(await api.call(`198.51.100.${i}`));
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      expect(new Set(api.addresses())).toEqual(new Set(['127.0.0.1']));
    } finally {
      await api.close();
    }
  });

  it('refuses "true" (trust every hop) and anything that is not a hop count or an address list', () => {
    const load = (value: string) => () =>
      loadConfig({ OIDC_ISSUER: idp.issuer, TRUST_PROXY: value, ...database.env });
    for (const bad of ['true', 'yes', '10.0.0.0/33', '10.0.0.1, example.com', '11']) {
      expect(load(bad), bad).toThrow(ConfigError);
      expect(load(bad), bad).toThrow(/TRUST_PROXY/);
    }
    expect(load('true')).toThrow(/every hop/);
    expect(loadConfig({ OIDC_ISSUER: idp.issuer, ...database.env }).trustProxy).toBe(false);
    expect(load('2')().trustProxy).toBe(2);
    expect(load('10.0.0.0/8,fd00::/8')().trustProxy).toEqual(['10.0.0.0/8', 'fd00::/8']);
  });

  it('the shipped Kubernetes ConfigMap and production compose trust exactly one proxy hop', () => {
    const root = new URL('../../deploy/', import.meta.url);
    const configMap = parse(readFileSync(new URL('k8s/api-configmap.yaml', root), 'utf8'));
    const compose = parse(readFileSync(new URL('compose/keycloak.prod.yml', root), 'utf8'));
    for (const value of [
      configMap.data.TRUST_PROXY,
      compose.services.api.environment.TRUST_PROXY,
    ]) {
      const config = loadConfig({ OIDC_ISSUER: idp.issuer, TRUST_PROXY: value, ...database.env });
      expect(config.trustProxy).toBe(1);
    }
  });
});
