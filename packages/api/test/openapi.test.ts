import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { routePolicies } from '../src/authz/catalogue.js';
import { PUBLIC_ROUTES } from '../src/authz/public-routes.js';
import { MCP_ROUTES } from '../src/mcp/routes.js';
import { generateOpenApi, serializeOpenApi } from '../src/openapi-document.js';

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string; schema: { maxLength?: number; pattern?: string } }[];
  responses: Record<
    string,
    { headers?: Record<string, { required?: boolean; schema?: { const?: string } }> }
  >;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; flows?: unknown }> };
}

const ROUTE_POLICIES = await routePolicies();
const committedPath = new URL('../openapi.json', import.meta.url);

describe('the OpenAPI document', () => {
  let text: string;
  let doc: Document;
  beforeAll(async () => {
    text = serializeOpenApi(await generateOpenApi());
    doc = JSON.parse(text) as Document;
  });

  it('validates as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(text));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is committed as packages/api/openapi.json exactly as generated (run `npm run openapi -w @todo-sso/api`)', () => {
    // Compared as JSON: the file is Biome-formatted after generation.
    expect(JSON.parse(readFileSync(committedPath, 'utf8'))).toEqual(JSON.parse(text));
  });

  it('lists every route with its security requirement: a bearer token, or none when public', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        route: `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
        op,
      })),
    );
    expect(operations.map((o) => o.route).sort()).toEqual(
      [
        ...Object.keys(ROUTE_POLICIES),
        ...PUBLIC_ROUTES.filter((r) => r !== 'GET /openapi.json'),
        ...MCP_ROUTES,
      ].sort(),
    );
    for (const { route, op } of operations) {
      const isPublic = (PUBLIC_ROUTES as readonly string[]).includes(route);
      expect(op.security, route).toEqual(isPublic ? [] : [{ bearerAuth: [] }, { oidc: [] }]);
      if (!isPublic)
        expect(Object.keys(op.responses), route).toEqual(expect.arrayContaining(['401', '503']));
    }
  });

  it('lists on every operation the 408 and 431 the HTTP parser answers before any route runs', () => {
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['408', '431']),
        );
  });

  it('lists Idempotent-Replayed on the 201 of every create taking an Idempotency-Key, bounded as the server bounds the key', () => {
    const keyed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) =>
          op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'),
        )
        .map(([method, op]) => ({ route: `${method} ${path}`, op })),
    );
    expect(keyed.map((k) => k.route).sort()).toEqual([
      'post /lists/',
      'post /lists/{id}/todos/',
      'post /todos/',
    ]);
    for (const { route, op } of keyed) {
      expect(op.responses['201']?.headers?.['Idempotent-Replayed'], route).toMatchObject({
        schema: { const: 'true' },
      });
      expect(
        op.responses['201']?.headers?.['Idempotent-Replayed']?.required,
        route,
      ).toBeUndefined();
      const key = op.parameters?.find((p) => p.name === 'idempotency-key');
      // 255 characters in double quotes: the longest key the pattern takes, and no longer.
      expect(key?.schema.maxLength, route).toBe(257);
      const pattern = new RegExp(key?.schema.pattern ?? '');
      expect(pattern.test(`"${'k'.repeat(255)}"`)).toBe(true);
      expect(pattern.test(`"${'k'.repeat(256)}"`)).toBe(false);
    }
  });

  it('names every operation uniquely, for generated clients', () => {
    const ids = Object.values(doc.paths).flatMap((ops) =>
      Object.values(ops).map((op) => (op as { operationId?: string }).operationId),
    );
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('signs in from the docs with Authorization Code + PKCE at the configured Keycloak realm', () => {
    expect(doc.components.securitySchemes.oidc).toEqual(
      expect.objectContaining({
        type: 'oauth2',
        flows: {
          authorizationCode: expect.objectContaining({
            authorizationUrl: 'http://localhost:8080/realms/todo-app/protocol/openid-connect/auth',
            tokenUrl: 'http://localhost:8080/realms/todo-app/protocol/openid-connect/token',
          }),
        },
      }),
    );
  });
});
