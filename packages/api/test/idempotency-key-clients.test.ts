import { randomUUID } from 'node:crypto';
import { alice } from '@todo-sso/auth/testing';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness } from './support/harness.js';
import { callTool } from './support/mcp.js';

const BASE = 'https://todo.example.com';

/**
 * An `Idempotency-Key` is the client's as well as the person's (draft-ietf-httpapi-idempotency-
 * key-header §2, "unique per client"): the person's web app (`azp` todo-ui) and their AI
 * assistant (another client) choosing the same key each get their own todo, over REST and over
 * the MCP tool `create_todo`; each client's retry is answered with its own first answer. Into
 * the default list and into a named one (on PostgreSQL two different statements).
 */
describe.each(drivers)('Idempotency-Key per client, on $driver', ({ skip, create }) => {
  const database = useTestDatabase({ skip, create });
  const h: Harness = suiteFixture(
    skip,
    () => startHarness(database.config, { API_PUBLIC_URL: BASE }),
    (x) => x.close(),
  );
  /** alice's token issued to `client` for `aud` (the REST API's audience by default). */
  const tokenOf = (client: string | undefined, aud?: string) =>
    h.idp.accessToken(alice, {
      claims: { azp: client, ...(client === undefined && { client_id: undefined }), aud },
    });
  const post = async (client: string | undefined, options: InjectOptions, key: string) => {
    const token = await tokenOf(client, 'todo-api');
    return h.app.inject({
      method: 'POST',
      ...options,
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
    });
  };
  const tool = async (client: string, args: object) =>
    callTool(h.app, await tokenOf(client, `${BASE}/mcp`), 'create_todo', args);
  const keyRows = (key: string) =>
    h.context.db.kysely
      .selectFrom('idempotency_keys')
      .select(['client_id', 'location'])
      .where('key', '=', key)
      .orderBy('client_id')
      .execute();

  it.skipIf(skip).each([
    ['the default list', async () => '/todos/'],
    [
      'a named list',
      async () => {
        const made = await h.as('alice', {
          method: 'POST',
          url: '/lists/',
          payload: { name: `L ${randomUUID()}` },
        });
        return `/lists/${made.json().id}/todos/`;
      },
    ],
  ])('gives the person and their agent each a todo for one key, in %s', async (_, urlOf) => {
    const url = await urlOf();
    const key = randomUUID();
    const person = await post('todo-ui', { url, payload: { title: 'Milk' } }, key);
    const agent = await post('agent-client', { url, payload: { title: 'Milk' } }, key);
    expect(person.statusCode).toBe(201);
    expect(agent.statusCode).toBe(201);
    expect(agent.headers['idempotent-replayed']).toBeUndefined();
    expect(agent.json().id).not.toBe(person.json().id);
    // Another request under the other client's key is no reuse (not 422): a key of its own.
    const other = await post('agent-client', { url, payload: { title: 'Bread' } }, randomUUID());
    const otherAgain = await post('todo-ui', { url, payload: { title: 'Bread' } }, key);
    expect(other.statusCode).toBe(201);
    expect(otherAgain.statusCode).toBe(422);
    // Each client's retry is answered with its own first answer.
    const personAgain = await post('todo-ui', { url, payload: { title: 'Milk' } }, key);
    const agentAgain = await post('agent-client', { url, payload: { title: 'Milk' } }, key);
    expect(personAgain.headers['idempotent-replayed']).toBe('true');
    expect(personAgain.body).toBe(person.body);
    expect(agentAgain.headers['idempotent-replayed']).toBe('true');
    expect(agentAgain.body).toBe(agent.body);
    expect(await keyRows(key)).toEqual([
      { client_id: 'agent-client', location: agent.headers.location },
      { client_id: 'todo-ui', location: person.headers.location },
    ]);
  });

  it.skipIf(skip)(
    'creates one todo for a create_todo call retried with its idempotencyKey',
    async () => {
      const key = randomUUID();
      const person = await post('todo-ui', { url: '/todos/', payload: { title: 'Call' } }, key);
      const first = await tool('agent-client', { title: 'Call', idempotencyKey: key });
      const again = await tool('agent-client', { title: 'Call', idempotencyKey: key });
      expect(first.isError).toBe(false);
      expect(again).toEqual(first);
      expect(first.body.id).not.toBe(person.json().id);
      // The agent's key is the same over REST and MCP: one client, one key.
      const rest = await post('agent-client', { url: '/todos/', payload: { title: 'Call' } }, key);
      expect(rest.headers['idempotent-replayed']).toBe('true');
      expect(rest.json()).toEqual(first.body);
      const reused = await tool('agent-client', { title: 'Other', idempotencyKey: key });
      expect(reused).toMatchObject({ isError: true, body: { code: 'idempotency_key_reused' } });
      expect((await keyRows(key)).map((row) => row.client_id)).toEqual(['agent-client', 'todo-ui']);
    },
  );

  it.skipIf(skip)('keeps a token naming no client to the empty client', async () => {
    const key = randomUUID();
    const first = await post(undefined, { url: '/todos/', payload: { title: 'None' } }, key);
    const again = await post(undefined, { url: '/todos/', payload: { title: 'None' } }, key);
    expect(first.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await keyRows(key)).toEqual([{ client_id: '', location: first.headers.location }]);
  });
});
