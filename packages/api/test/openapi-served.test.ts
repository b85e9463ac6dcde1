import { describe, expect, it, vi } from 'vitest';
import { drivers } from './support/databases.js';
import { useHarness } from './support/harness.js';

const sqlite = drivers.find((d) => d.driver === 'sqlite');
if (sqlite === undefined) throw new Error('no SQLite driver');

/**
 * `GET /openapi.json` is public and limited only per address (6,000 a minute by default), so
 * its cost must stay near the other public answers. The document is the same for every request: it is serialized once and the same
 * bytes are sent again, never built per request (that cost 1.5 ms of CPU a request, 30 times
 * the metadata documents).
 */
describe('the served OpenAPI document', () => {
  const h = useHarness(sqlite);

  it('is the generated document, as JSON, built once for every request that asks for it', async () => {
    const swagger = vi.spyOn(h.app, 'swagger');
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await h.app.inject({ url: '/openapi.json' }));
      for (const answer of answers) {
        expect(answer.statusCode).toBe(200);
        expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(answer.body).toBe(answers[0]?.body);
      }
      expect(swagger.mock.calls.length).toBeLessThanOrEqual(1);
      swagger.mockRestore();
      expect(answers[0]?.json()).toEqual(JSON.parse(JSON.stringify(h.app.swagger())));
    } finally {
      swagger.mockRestore();
    }
  });
});
