#!/usr/bin/env node
// A minimal MCP agent on the official SDK (`Client`, `StreamableHTTPClientTransport`, its OAuth
// flow): it starts from the MCP URL alone, registers itself as a public client (RFC 7591) with a
// loopback redirect URI, prints the sign-in URL, waits for the browser to come back, then lists
// the tools or calls one.
//
//   node scripts/mcp-agent.mjs http://localhost:8000/mcp
//   node scripts/mcp-agent.mjs http://localhost:8000/mcp create_todo '{"title":"buy milk"}'
//
// Tokens live in memory only: every run signs in again (the IdP's session cookie makes that one
// click). MCP_AGENT_PORT sets the callback port (default 8090).
import { createServer } from 'node:http';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url = 'http://localhost:8000/mcp', tool, args = '{}'] = process.argv.slice(2);
const port = Number(process.env.MCP_AGENT_PORT ?? 8090);
const redirectUrl = `http://127.0.0.1:${port}/callback`;

/** The SDK's OAuthClientProvider, in memory: a public client that signs in through a browser. */
const state = {};
const provider = {
  redirectUrl,
  clientMetadata: {
    client_name: 'todo-sso example agent',
    redirect_uris: [redirectUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  },
  clientInformation: () => state.client,
  saveClientInformation: (client) => {
    state.client = client;
  },
  tokens: () => state.tokens,
  saveTokens: (tokens) => {
    state.tokens = tokens;
  },
  saveCodeVerifier: (verifier) => {
    state.verifier = verifier;
  },
  codeVerifier: () => state.verifier,
  redirectToAuthorization: (authorizationUrl) => {
    console.log(`Sign in here:\n  ${authorizationUrl.href}\n`);
  },
};

/** Waits for the authorization server to send the browser back with a code (or an error). */
function callback() {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const params = new URL(req.url ?? '/', redirectUrl).searchParams;
      const code = params.get('code');
      res.writeHead(code ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(code ? 'Signed in; you may close this tab.' : `Refused: ${params.get('error')}`);
      server.close();
      if (code) resolve(code);
      else reject(new Error(`authorization refused: ${params.get('error')}`));
    });
    server.listen(port, '127.0.0.1');
  });
}

async function connect() {
  const client = new Client({ name: 'todo-sso-example-agent', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  try {
    await client.connect(transport);
    return client;
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
  }
  await transport.finishAuth(await callback());
  const signedIn = new Client({ name: 'todo-sso-example-agent', version: '1.0.0' });
  await signedIn.connect(
    new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }),
  );
  return signedIn;
}

const client = await connect();
if (tool === undefined) {
  const { tools } = await client.listTools();
  for (const t of tools) console.log(`${t.name.padEnd(14)} ${t.description ?? ''}`);
} else {
  const result = await client.callTool({ name: tool, arguments: JSON.parse(args) });
  for (const part of result.content) console.log(part.type === 'text' ? part.text : part);
  process.exitCode = result.isError ? 1 : 0;
}
await client.close();
