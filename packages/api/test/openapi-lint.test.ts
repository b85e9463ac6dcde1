import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { generateOpenApi, serializeOpenApi } from '../src/openapi-document.js';

/**
 * The generated OpenAPI document as an independent linter reads it: Redocly's `recommended`
 * rules, and a few of its rules beyond them that hold this API to what it does.
 *
 * Turned on beyond `recommended`:
 * - `operation-tag-defined`, `tag-description`: every tag an operation carries is declared and
 *   described, so documentation tools group operations under a described heading.
 * - `operation-4xx-problem-details-rfc7807`: every 4xx is RFC 9457 problem details
 *   (`application/problem+json`, which RFC 9457 keeps from RFC 7807).
 * - `response-contains-header` on 429: `Retry-After` (RFC 9110 §10.2.3) and the
 *   `X-RateLimit-*` headers the limits send with it.
 * - `no-unused-components`: no schema is left in the document that nothing uses.
 * - `operation-description`: every operation says what it does, who may call it (permission,
 *   relation, admin role and step-up) and its notable errors, beyond its one-line summary.
 *
 * Turned off, with the reason:
 * - `no-path-trailing-slash`: `/todos/`, `/lists/` and `/lists/{id}/todos/` are the published
 *   paths the web app and the CLI call; the router ignores a trailing slash
 *   (`ignoreTrailingSlash`), so `/todos` is served the same, and renaming would change every
 *   generated client for nothing.
 * - `no-empty-servers`: the document is served by the API itself, and without `servers` a
 *   client resolves paths against the origin it read the document from (OpenAPI 3.1 §4.8.1:
 *   the default server is `/`); a fixed URL would be wrong behind a proxy.
 */
const config = await createConfig({
  extends: ['recommended'],
  rules: {
    'operation-tag-defined': 'error',
    'tag-description': 'error',
    'operation-4xx-problem-details-rfc7807': 'error',
    'response-contains-header': {
      severity: 'error',
      names: {
        '429': ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
      },
    },
    'no-unused-components': 'error',
    'operation-description': 'error',
    'no-path-trailing-slash': 'off',
    'no-empty-servers': 'off',
  },
});

describe('the OpenAPI document, linted by Redocly', () => {
  it('has no finding, warnings included', async () => {
    const problems = await lintFromString({
      source: serializeOpenApi(await generateOpenApi()),
      absoluteRef: 'openapi.json',
      config,
    });
    const found = problems.map(
      (p) => `${p.ruleId} (${p.severity}) at ${p.location[0]?.pointer}: ${p.message}`,
    );
    expect(found).toEqual([]);
  });
});
