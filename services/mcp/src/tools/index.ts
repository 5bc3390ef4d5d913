import type { ToolScopes } from '../auth/required-scopes.ts';
import type { Tool } from './define.ts';
import { echoTool } from './echo.ts';
import { whoamiTool } from './whoami.ts';

export type { Tool } from './define.ts';

/** Every tool this resource serves; add a tool by adding its module here. */
export const tools: readonly Tool[] = [echoTool, whoamiTool];

export const toolScopesOf = (list: readonly Tool[]): ToolScopes =>
  new Map(list.map((t) => [t.name, t.scope]));
