import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of the real API that can lose the answer to a write (a create, `POST
 * /todos/` or `POST /lists/`, and a change, `PATCH`, `PUT` or `DELETE` under `/todos/` or
 * `/lists/`): its connection closed once the API has answered (so the write is stored; `after`,
 * what the next write meets after the last drop), the answer held past the CLI's timeout, a 503
 * sent in the API's place (its words and headers), the API's answer replaced by its 503
 * `write_outcome_unknown` (`unknown`: the write is made, as when the API's database committed it
 * but the API never heard so), or the request kept (`silent`, for every
 * write until the mode changes: never passed on, never answered, its connection left open by
 * the relay).
 */
export type Mode =
  | { kind: 'pass' }
  | { kind: 'drop'; times?: number; after?: Mode }
  | { kind: 'hold'; ms: number }
  | { kind: 'unavailable'; retryAfter: string }
  | { kind: 'unknown'; retryAfter: string }
  | { kind: 'silent' };

export interface Relay {
  readonly url: string;
  /** What happens to the next create (`times` creates for `drop`; then `pass` again). */
  mode: Mode;
  /** Each write's request head and the head of the API's answer ('' when none reached us). */
  readonly creates: { request: string; answer: string }[];
  close(): Promise<void>;
}

export async function startRelay(target: string): Promise<Relay> {
  const port = Number(new URL(target).port);
  const sockets = new Set<Socket>();
  const relay: Relay = {
    url: '',
    mode: { kind: 'pass' },
    creates: [],
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((client) => {
    const api = connect(port, '127.0.0.1');
    sockets.add(client).add(api);
    let create: { request: string; answer: string } | undefined;
    let mode: Mode = { kind: 'pass' };
    client.on('data', (data) => {
      const text = data.toString('latin1');
      if (/^(POST \/(todos|lists)\/ |(PATCH|PUT|DELETE) \/(todos|lists)\/)/.test(text)) {
        create = { request: text, answer: '' };
        relay.creates.push(create);
        mode = relay.mode;
        if (mode.kind === 'drop' && (mode.times ?? 1) > 1)
          relay.mode = { ...mode, times: (mode.times ?? 1) - 1 };
        else if (mode.kind === 'drop') relay.mode = mode.after ?? { kind: 'pass' };
        else if (mode.kind !== 'silent') relay.mode = { kind: 'pass' };
        if (mode.kind === 'unavailable') {
          // The API's own answer to a write its database could not make (server-errors.ts).
          const body =
            '{"type":"urn:todo-sso:problem:unavailable","title":"Service Unavailable","status":503,"detail":"The database is unavailable","code":"unavailable"}';
          client.write(
            `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\nretry-after: ${mode.retryAfter}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
          );
          return;
        }
      }
      if (mode.kind === 'silent') return;
      api.write(data);
    });
    api.on('data', (data) => {
      if (create && create.answer === '') create.answer = data.toString('latin1');
      if (mode.kind === 'unknown') {
        // The API's answer to a write whose COMMIT got no answer (server-errors.ts).
        const body = `{"type":"urn:todo-sso:problem:write-outcome-unknown","title":"Service Unavailable","status":503,"detail":"${UNKNOWN_DETAIL}","code":"write_outcome_unknown"}`;
        client.end(
          `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\nretry-after: ${mode.retryAfter}\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
        api.destroy();
      } else if (mode.kind === 'drop') {
        client.destroy();
        api.destroy();
      } else if (mode.kind === 'hold') {
        setTimeout(() => {
          client.destroy();
          api.destroy();
        }, mode.ms);
      } else client.write(data);
    });
    const end = () => {
      client.destroy();
      api.destroy();
      sockets.delete(client);
      sockets.delete(api);
    };
    client.on('error', end).on('close', end);
    api.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (relay as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return relay;
}

/** The API's detail of a write whose outcome is unknown (`db/write-outcome.ts`). */
const UNKNOWN_DETAIL =
  'The connection to the database was lost while the change was being saved: it may or may not have been saved. Repeating the request with the same Idempotency-Key is safe (it is answered as the first one was, or made once); without a key, read the resource first to see whether the change is there.';
