import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { denialError } from '@todo-sso/auth';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requires } from '../authz/requirement.js';
import type { AppContext } from '../context.js';
import { PROBLEM_JSON, problem } from '../http/problem.js';
import { actorOf, principalOf, profileOf } from '../routes/principal.js';
import { problems } from '../schemas/common.js';
import { SECURED } from '../schemas/security.js';
import { type Caller, type McpOperations, mcpOperations, ToolRefusal } from './operations.js';
import { refusalOf } from './refusal.js';
import { MCP_PATH } from './resource.js';
import { loadRuntime, type McpRuntime } from './runtime.js';
import { toolError } from './tool-error.js';
import type { ToolDefinition } from './tools.js';
import { transportRefusal, withJsonCharset } from './transport-responses.js';

/** The routes of the MCP resource (`<base>/mcp`), outside the REST API's policy table. */
export const MCP_ROUTES = [`POST ${MCP_PATH}`] as const;

/** A JSON-RPC message; the SDK validates the rest (MCP 2025-06-18, Basic, "Messages"). */
const Message = {
  type: 'object',
  required: ['jsonrpc'],
  properties: { jsonrpc: { type: 'string', const: '2.0' } },
  additionalProperties: true,
} as const;

/**
 * `POST /mcp`: the MCP Streamable HTTP transport (stateless: no session, JSON answers) with the
 * official SDK's server. It sits behind the same authentication as the REST API, with its own
 * resource identifier: only tokens naming `<base>/mcp` in `aud` are accepted (RFC 8707 §2), and
 * a refusal's challenge points at `/.well-known/oauth-protected-resource/mcp` (RFC 9728 §5.1).
 * Each tool call is decided by the core's `decide()` with the requirement its REST route
 * declares, then runs the routes' repository code; a refusal is a tool error with its reason.
 */
export function mcpRoutes(context: AppContext): FastifyPluginAsync {
  const ops = mcpOperations(context);
  const run: ToolRun = (request, tool, args) => callTool(context, ops, request, tool, args);
  return async (app) => mcpRoute(app, run);
}

/** Runs one tool for one request, always answering with a tool result. */
type ToolRun = (
  request: FastifyRequest,
  tool: ToolDefinition,
  args: Record<string, unknown>,
) => Promise<CallToolResult>;

/** `POST /mcp`, answered by a fresh SDK server and transport per request (stateless). */
function mcpRoute(app: FastifyInstance, run: ToolRun): void {
  app.post(
    MCP_PATH,
    {
      // Any valid token for this resource; each tool then carries its route's requirement.
      config: requires({}),
      schema: {
        tags: ['mcp'],
        operationId: 'mcp',
        summary: 'Model Context Protocol, Streamable HTTP (stateless); tokens for <base>/mcp',
        description:
          "The MCP endpoint for AI assistants: one JSON-RPC message a request, answered as JSON (no session, no stream). Only tokens whose audience is `<base>/mcp` are accepted (RFC 8707), and a refusal's challenge names `/.well-known/oauth-protected-resource/mcp`. Each tool call is decided with the requirement of the REST route it mirrors (`todos:read`, `todos:write`, list relations) and refused as a tool error saying why. `Accept` must list `application/json` and `text/event-stream` (406 otherwise).",
        security: SECURED,
        body: Message,
        response: {
          200: { description: 'A JSON-RPC response', type: 'object', additionalProperties: true },
          202: { description: 'A notification or response accepted', type: 'null' },
          ...problems(401, 403, 413, 415, 503),
          400: transportRefusal(
            'RFC 9457 problem details (the token, the body), or a JSON-RPC error from the transport: not a JSON-RPC request, a batch, an unsupported MCP-Protocol-Version',
          ),
          406: transportRefusal(
            'A JSON-RPC error from the transport: Accept must list application/json and text/event-stream',
          ),
        },
      },
    },
    async (request, reply) => {
      const mcp = await loadRuntime();
      await serveMcp(request, reply, mcp, serverFor(request, mcp, run));
    },
  );
}

/** Hands the request to the SDK's transport, which writes the response itself. */
async function serveMcp(
  request: FastifyRequest,
  reply: FastifyReply,
  mcp: McpRuntime,
  server: McpServer,
): Promise<void> {
  const transport = new mcp.Transport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  // The SDK writes the response itself: the headers set so far (security, CORS, request
  // id) go with it, and Fastify leaves the reply alone.
  reply.hijack();
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) reply.raw.setHeader(name, value);
  reply.raw.setHeader('x-request-id', request.id);
  withJsonCharset(reply.raw);
  reply.raw.on('close', () => {
    void transport.close();
    void server.close();
  });
  try {
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  } catch (error) {
    // Past hijack() the error handler cannot answer: fail here, without details.
    request.log.error({ err: error }, 'the MCP transport failed');
    if (!reply.raw.headersSent) {
      const body = problem('internal_error', 'An unexpected error occurred');
      reply.raw.writeHead(body.status, { 'content-type': PROBLEM_JSON });
      reply.raw.end(JSON.stringify(body));
    } else reply.raw.destroy();
  }
}

/** An SDK server for one request, with every tool registered to run as its caller. */
function serverFor(request: FastifyRequest, mcp: McpRuntime, run: ToolRun): McpServer {
  const server = new mcp.McpServer({ name: 'todo-sso', version: '0.1.0' });
  for (const tool of mcp.tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: mcp.callTool.inputOf(tool),
        outputSchema: mcp.callTool.outputOf(tool),
        annotations: {
          readOnlyHint: tool.readOnly,
          destructiveHint: tool.destructive ?? false,
          openWorldHint: false,
        },
      },
      (args) => run(request, tool, args as Record<string, unknown>),
    );
  }
  // Registered above for `tools/list`; calls go through this handler instead of the SDK's,
  // which answers an unknown tool as a tool result rather than the JSON-RPC error it is.
  const { ToolCallRequest, toolCallHandler } = mcp.callTool;
  server.server.setRequestHandler(
    ToolCallRequest,
    toolCallHandler(mcp.tools, (tool, args) => run(request, tool, args)),
  );
  return server;
}

/**
 * One tool call: decided with the requirement of the tool's REST route, then run; a refusal or
 * failure is a tool error (a 403 also goes to the audit log as a denial).
 */
async function callTool(
  context: AppContext,
  ops: McpOperations,
  request: FastifyRequest,
  tool: ToolDefinition,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  const principal = principalOf(request);
  const caller: Caller = { principal, requestId: request.id };
  try {
    const requirement = (await loadRuntime()).requirements.get(tool.name) ?? {
      admin: true,
      firstParty: true,
    };
    const decision = request.decide(requirement);
    if (!decision.allowed) {
      const denial = denialError(decision);
      throw new ToolRefusal(denial.code, denial.status, denial.description, decision.reason);
    }
    // The answer as structured content, and serialized as text for clients before MCP
    // 2025-06-18 (Server › Tools, "Structured Content": a tool that returns it SHOULD).
    const result = (await tool.run(ops, caller, args)) as Record<string, unknown>;
    return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
  } catch (error) {
    const refusal = await refusalOf(context, error, request);
    if (refusal.status === 403 || refusal.denial !== undefined)
      await recordDenial(context, request, tool, refusal);
    return toolError({
      code: refusal.code,
      status: refusal.status,
      ...(refusal.reason && { reason: refusal.reason }),
      message: refusal.message,
    });
  }
}

/** The audit record of a refused tool call; a failure to write it is logged, not thrown. */
async function recordDenial(
  context: AppContext,
  request: FastifyRequest,
  tool: ToolDefinition,
  refusal: ToolRefusal,
) {
  const principal = principalOf(request);
  try {
    await context.audit.recordDenial(
      {
        actor: actorOf(principal),
        action: `mcp ${tool.name}`,
        resource: MCP_PATH,
        outcome: 'denied',
        detail: refusal.denial ?? `${refusal.reason ?? refusal.code}: ${refusal.message}`,
        requestId: request.id,
      },
      profileOf(principal),
    );
  } catch (error) {
    request.log.error({ err: error }, 'could not write the audit record of a denial');
  }
}
