import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Requirement } from '@todo-sso/auth';
import { routePolicies } from '../authz/catalogue.js';
import type * as CallTool from './call-tool.js';
import type { ToolDefinition } from './tools.js';

/**
 * The SDK, the tools and every tool's requirement (read from the declarations beside the REST
 * routes), loaded on the first `/mcp` request: the SDK and its schema library would otherwise add
 * about a second to every start of the API, agents or not.
 */
let runtime: Promise<McpRuntime> | undefined;
export interface McpRuntime {
  readonly McpServer: typeof McpServer;
  readonly Transport: typeof StreamableHTTPServerTransport;
  readonly tools: readonly ToolDefinition[];
  readonly requirements: ReadonlyMap<string, Requirement>;
  /** The `tools/call` handler and the request schema it is registered with. */
  readonly callTool: typeof CallTool;
}
export function loadRuntime(): Promise<McpRuntime> {
  runtime ??= (async () => {
    const [server, transport, tools, callTool, policies] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/mcp.js'),
      import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
      import('./tools.js'),
      import('./call-tool.js'),
      routePolicies(),
    ]);
    const requirements = new Map<string, Requirement>();
    for (const tool of tools.TOOLS) {
      const policy = policies[tool.route];
      if (policy === undefined) throw new TypeError(`Tool ${tool.name}: no route ${tool.route}`);
      requirements.set(tool.name, policy);
    }
    return {
      McpServer: server.McpServer,
      Transport: transport.StreamableHTTPServerTransport,
      tools: tools.TOOLS as unknown as readonly ToolDefinition[],
      requirements,
      callTool,
    };
  })();
  runtime.catch(() => {
    runtime = undefined;
  });
  return runtime;
}
