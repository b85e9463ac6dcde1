import { type CallToolResult, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { toolError } from './tool-error.js';
import type { ToolDefinition } from './tools.js';

/**
 * `tools/call` by its method alone: the SDK's server then checks the request against its
 * `CallToolRequest` schema and answers a malformed one with `-32602` (Invalid params). Parsed
 * with the full schema here, a malformed request would be a thrown schema error, which the SDK
 * answers as `-32603` (Internal error).
 */
export const ToolCallRequest = z.looseObject({
  method: z.literal('tools/call'),
  params: z.unknown().optional(),
});

/**
 * A tool's input schema as both `tools/list` publishes it and `tools/call` checks it: an object
 * with the tool's fields and no other (`additionalProperties: false`), as the REST routes refuse
 * an unknown field rather than drop it. A misspelt `listId` dropped would put a todo in the
 * default list; a misspelt `completed` would leave half of a change unmade.
 */
const inputs = new WeakMap<ToolDefinition, z.ZodObject>();
export function inputOf(tool: ToolDefinition): z.ZodObject {
  let input = inputs.get(tool);
  if (input === undefined) {
    input = z.strictObject(tool.input);
    inputs.set(tool, input);
  }
  return input;
}

/**
 * A tool's output schema as `tools/list` publishes it (MCP 2025-06-18, Server › Tools, "Output
 * Schema"): the tool's TypeBox schema, the REST route's, as JSON Schema. The SDK publishes the
 * JSON Schema of a Zod object with the object's metadata merged in, so an open Zod object
 * carrying that JSON Schema as its metadata publishes it unchanged, written once. Nothing
 * parses a result with it: `tools/call` is answered by {@link toolCallHandler}.
 */
const outputs = new WeakMap<ToolDefinition, z.ZodObject>();
export function outputOf(tool: ToolDefinition): z.ZodObject {
  let output = outputs.get(tool);
  if (output === undefined) {
    output = z.looseObject({}).meta(JSON.parse(JSON.stringify(tool.output)));
    outputs.set(tool, output);
  }
  return output;
}

/** The arguments' problems, named by field as the REST routes name them. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`)
    .join('; ');
}

/**
 * The `tools/call` handler (MCP 2025-06-18 and 2025-11-25, Server › Tools, "Error Handling"):
 * an unknown tool is a protocol error, JSON-RPC `-32602`; arguments that do not fit the tool's
 * input schema (an argument it does not name included) are a tool execution error (`isError`)
 * whose text is JSON with the stable code `validation_failed` (status 400), like every other
 * refusal of a tool; the rest is `run`'s.
 */
export function toolCallHandler(
  tools: readonly ToolDefinition[],
  run: (tool: ToolDefinition, args: Record<string, unknown>) => Promise<CallToolResult>,
) {
  const byName = new Map(tools.map((tool) => [tool.name, { tool, input: inputOf(tool) }]));
  return async (request: z.infer<typeof ToolCallRequest>): Promise<CallToolResult> => {
    // The SDK's server has checked the request's shape (`name` a string, `arguments` a record).
    const { name, arguments: args } = request.params as {
      name: string;
      arguments?: Record<string, unknown>;
    };
    const known = byName.get(name);
    if (known === undefined)
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name.slice(0, 100)}`);
    const parsed = known.input.safeParse(args ?? {});
    if (!parsed.success)
      return toolError({
        code: 'validation_failed',
        status: 400,
        message: `Invalid arguments for ${name}: ${describeIssues(parsed.error)}`,
      });
    return run(known.tool, parsed.data);
  };
}
