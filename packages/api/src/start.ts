import type { buildApp } from './app.js';
import type { ApiConfig } from './config/config.js';
import { type ContextOverrides, createContext } from './context.js';

/** A listening API. */
export interface RunningApi {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes everything. */
  close(): Promise<void>;
}

/** A port that is taken: reported as one clear line by `server.ts`. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly code = 'ERR_API_PORT_IN_USE';
}

/**
 * Creates the context, builds the app and listens on `config.host:config.port`.
 *
 * @example
 * ```ts
 * const api = await startApi(loadConfig(process.env));
 * console.log(api.url);
 * await api.close();
 * ```
 */
export async function startApi(
  config: ApiConfig,
  overrides: ContextOverrides = {},
): Promise<RunningApi> {
  const context = await createContext(config, overrides);
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    // The app (Fastify, the routes and their schemas) is loaded once the database is open and
    // migrated: a database that cannot be used is reported without waiting for it (about half a
    // second of CPU).
    const { buildApp } = await import('./app.js');
    app = await buildApp(context);
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await context.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(`port ${config.port} on ${config.host} is already in use`, {
        cause: error,
      });
    }
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      // Fastify's close stops the listener and waits for in-flight requests (graceful drain).
      closing ??= app.close().then(() => context.close());
      return closing;
    },
  };
}
