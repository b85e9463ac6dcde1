import type { AddressInfo } from 'node:net';
import { alice, bob } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { drivers, useTestDatabase } from './support/databases.js';
import {
  type Instance,
  injectWithToken,
  startInstance,
  testConfig,
  useIssuer,
} from './support/harness.js';
import { callTool } from './support/mcp.js';

const BASE = 'https://todo.example.com';

/**
 * A change of relation takes effect at once with an external decision point, although its
 * decisions are cached: two API instances (a cluster) on one database both ask a third
 * todo-sso instance over HTTP (its own /access/v1/evaluations as the AuthZEN decision point);
 * a member removed or narrowed at one instance loses what a cached allow at the other held.
 */
describe.each(drivers)(
  'external decision point and relation changes on $driver',
  ({ skip, create }) => {
    const idp = useIssuer(skip);
    const database = useTestDatabase({ skip, create });
    let pdp: Instance;
    let first: Instance;
    let second: Instance;
    let list: string;
    const tokens: Record<string, string> = {};

    beforeAll(async () => {
      if (skip) return;
      pdp = await startInstance(testConfig(idp, database.config));
      await pdp.app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(pdp.app.server.address() as AddressInfo).port}`;
      const asking = async () =>
        startInstance(
          testConfig(idp, database.config, {
            AUTHZ_PDP_URL: url,
            API_PUBLIC_URL: BASE,
            AUTHZ_PDP_TOKEN: await idp.accessToken({
              sub: 'service-account-todo-api',
              roles: [],
              permissions: ['authz:evaluate'],
            }),
          }),
        );
      first = await asking();
      second = await asking();
      for (const user of [alice, bob]) tokens[user.username] = await idp.accessToken(user);
      const { db } = pdp.context;
      const owner = { issuer: idp.issuer, subject: alice.sub };
      list = (await listRepository(db).create(owner, 'Launch', new Date(), db.kysely)).id;
    });

    afterAll(async () => {
      await first?.close();
      await second?.close();
      await pdp?.close();
    });

    const call = (
      instance: Instance,
      user: string,
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      payload?: object,
    ) => injectWithToken(instance, tokens[user], method, url, payload);
    /** bob's agent calls `create_todo` at `instance`'s `/mcp`: the tool's refusal code, or none. */
    const addTodoByAgent = async (instance: Instance) => {
      const token = await idp.accessToken(bob, { claims: { aud: `${BASE}/mcp`, azp: 'agent' } });
      const { isError, body } = await callTool(instance.app, token, 'create_todo', {
        title: 'Print badges',
        listId: list,
      });
      return isError ? body.code : 'created';
    };
    const addTodo = (instance: Instance) =>
      call(instance, 'bob', 'POST', '/todos/', { title: 'Book the venue', listId: list });

    it.skipIf(skip)(
      'refuses a removed member at once at every instance, despite a cached allow',
      async () => {
        const share = (relation: string) =>
          call(second, 'alice', 'PUT', `/lists/${list}/members/bob`, { relation });
        // bob signs in once, so the list's owner can name him.
        expect((await call(first, 'bob', 'GET', '/lists/')).statusCode).toBe(200);
        expect((await share('editor')).statusCode).toBeLessThan(300);
        // bob adds a todo and sees his actions at the first instance: both decisions cached there.
        expect((await addTodo(first)).statusCode).toBe(201);
        const shown = await call(first, 'bob', 'GET', `/lists/${list}`);
        expect(shown.json().actions).toContain('can_create_todo');

        // Removed at the second instance: the first must not reuse its cached allow.
        expect(
          (await call(second, 'alice', 'DELETE', `/lists/${list}/members/bob`)).statusCode,
        ).toBe(204);
        expect((await addTodo(first)).statusCode).toBe(404);
        expect((await call(first, 'bob', 'GET', `/lists/${list}`)).statusCode).toBe(404);

        // Back as a viewer: he may read, no longer add, and is shown so.
        expect((await share('viewer')).statusCode).toBeLessThan(300);
        expect((await addTodo(first)).statusCode).toBe(403);
        const narrowed = await call(first, 'bob', 'GET', `/lists/${list}`);
        expect(narrowed.statusCode).toBe(200);
        expect(narrowed.json().actions).toEqual(['can_read']);
      },
    );

    it.skipIf(skip)('refuses a removed member’s agent at once over MCP too', async () => {
      const share = (relation: string) =>
        call(second, 'alice', 'PUT', `/lists/${list}/members/bob`, { relation });
      expect((await call(first, 'bob', 'GET', '/lists/')).statusCode).toBe(200);
      expect((await share('editor')).statusCode).toBeLessThan(300);
      expect(await addTodoByAgent(first)).toBe('created');
      expect((await call(second, 'alice', 'DELETE', `/lists/${list}/members/bob`)).statusCode).toBe(
        204,
      );
      expect(await addTodoByAgent(first)).toBe('not_found');
      expect((await share('viewer')).statusCode).toBeLessThan(300);
      expect(await addTodoByAgent(first)).toBe('forbidden');
    });
  },
);
