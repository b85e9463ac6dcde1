import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP relay in front of the dev IdP that answers a request matching `notFoundAt` itself
 * with a 404: a proxy's page by default (as a wrong route or IDP_ADMIN_URL gives), or the JSON
 * `body` given. A request matching `loseAnswerOf` goes through, but its answer is lost (504).
 */
export async function relayTo(target: string) {
  const upstream = new URL(target);
  const state = {
    notFoundAt: undefined as RegExp | undefined,
    body: undefined as object | undefined,
    loseAnswerOf: undefined as RegExp | undefined,
  };
  const server: Server = createServer((req, res) => {
    const call = `${req.method} ${req.url ?? '/'}`;
    if (state.notFoundAt?.test(call) === true) {
      req.resume();
      if (state.body === undefined)
        res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404 Not Found</h1>');
      else
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(state.body));
      return;
    }
    const lose = state.loseAnswerOf?.test(call) === true;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        if (!lose) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        answer.resume();
        answer.on('end', () =>
          res.writeHead(504, { 'content-type': 'text/html' }).end('<h1>504</h1>'),
        );
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise((r) => server.close(r)),
  };
}
