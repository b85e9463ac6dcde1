import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A tool's refusal or failure as an MCP tool error (CallToolResult `isError`), never a throw. */
export function toolError(body: Record<string, unknown>): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }] };
}
