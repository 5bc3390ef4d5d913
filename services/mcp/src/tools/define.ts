import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { callerFromAuthInfo, type CallerIdentity } from '../auth/caller.ts';

/** A tool as the service knows it: its name and scope (for the HTTP scope check) and how to register it. */
export interface Tool {
  name: string;
  /** The scope a caller needs to call this tool (advertised in the resource metadata). */
  scope: string;
  register(server: McpServer): void;
}

export interface ToolSpec<In extends z.ZodObject, Out extends z.ZodObject | undefined> {
  name: string;
  title: string;
  description: string;
  scope: string;
  inputSchema: In;
  outputSchema?: Out;
  annotations?: ToolAnnotations;
  /** Receives validated arguments and the caller from the access token. */
  run(args: z.output<In>, caller: CallerIdentity): CallToolResult | Promise<CallToolResult>;
}

export function defineTool<In extends z.ZodObject, Out extends z.ZodObject | undefined = undefined>(
  spec: ToolSpec<In, Out>,
): Tool {
  return {
    name: spec.name,
    scope: spec.scope,
    register(server) {
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
          const caller = callerFromAuthInfo(extra.authInfo);
          // The HTTP layer refuses a missing scope with a 403 first; this keeps a tool safe even
          // if it is ever reached another way (a different transport, a future refactor).
          if (!caller.scopes.includes(spec.scope)) {
            return {
              isError: true,
              content: [{ type: 'text', text: `insufficient scope: needs ${spec.scope}` }],
            };
          }
          return spec.run(args as z.output<In>, caller);
        },
      );
    },
  };
}
