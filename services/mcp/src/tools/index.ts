import type { Tool } from './define.ts';
import { echoTool } from './echo.ts';
import { whoamiTool } from './whoami.ts';

export type { Tool } from './define.ts';

/**
 * The built-in demo tools, served by a policy server with no upstream; add a tool by adding its
 * module here. Their scopes come from the policy (the default one gives whoami mcp:identity).
 */
export const tools: readonly Tool[] = [echoTool, whoamiTool];
