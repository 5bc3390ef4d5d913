import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { callerOf, type AuthInfo, type Caller } from '@mcp-auth/resource-server';

/** A built-in tool: its name and how to register it, with the scopes the policy gives it. */
export interface Tool {
  name: string;
  register(server: McpServer, scopes: readonly string[]): void;
}

export interface ToolSpec<In extends z.ZodObject, Out extends z.ZodObject | undefined> {
  name: string;
  title: string;
  description: string;
  inputSchema: In;
  outputSchema?: Out;
  annotations?: ToolAnnotations;
  /** Receives validated arguments and the caller from the access token. */
  run(args: z.output<In>, caller: Caller): CallToolResult | Promise<CallToolResult>;
}

export function defineTool<In extends z.ZodObject, Out extends z.ZodObject | undefined = undefined>(
  spec: ToolSpec<In, Out>,
): Tool {
  return {
    name: spec.name,
    register(server, scopes) {
      server.registerTool(
        spec.name,
        {
          title: spec.title,
          description: spec.description,
          // Widened: the SDK's callback type cannot be resolved for a generic schema; the SDK
          // validates the arguments against this schema before the callback runs.
          inputSchema: spec.inputSchema as z.ZodObject,
          outputSchema: spec.outputSchema as z.ZodObject | undefined,
          annotations: spec.annotations,
        },
        (args, extra) => {
          const caller = callerOf(extra.authInfo as AuthInfo | undefined);
          // The HTTP layer refuses a missing scope with a 403 first; this keeps a tool safe even
          // if it is ever reached another way (a different transport, a future refactor).
          const missing = scopes.filter((s) => !caller.scopes.includes(s));
          if (missing.length > 0) {
            return {
              isError: true,
              content: [{ type: 'text', text: `insufficient scope: needs ${missing.join(' ')}` }],
            };
          }
          return spec.run(args as z.output<In>, caller);
        },
      );
    },
  };
}
