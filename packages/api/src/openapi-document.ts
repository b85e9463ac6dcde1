import { buildApp } from './app.js';
import type { ApiConfig } from './config/config.js';
import { loadConfig } from './config/load.js';
import { createContext } from './context.js';
import { createLogger } from './http/logger.js';

/**
 * The OpenAPI document of the API as configured by default (the dev realm): what is committed
 * as `packages/api/openapi.json` and what the web app generates its typed client from.
 */
export async function generateOpenApi(
  config: ApiConfig = defaultDocumentConfig(),
): Promise<object> {
  const context = await createContext(config, { logger: createLogger('silent') });
  try {
    const app = await buildApp(context);
    try {
      return app.swagger() as object;
    } finally {
      await app.close();
    }
  } finally {
    await context.close();
  }
}

/** Defaults with an in-memory database: generating the document touches no file or server. */
export function defaultDocumentConfig(): ApiConfig {
  const defaults = loadConfig({});
  return { ...defaults, database: { kind: 'sqlite', file: ':memory:' } };
}

/** The committed file's exact text: stable key order, two-space indent, final newline. */
export function serializeOpenApi(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
