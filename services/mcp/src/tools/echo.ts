import { z } from 'zod';
import { BASE_SCOPE } from '@mcp-auth/core';
import { defineTool } from './define.ts';

export const echoTool = defineTool({
  name: 'echo',
  title: 'Echo',
  description: 'Returns the text it is given.',
  scope: BASE_SCOPE,
  inputSchema: z.object({ text: z.string().describe('The text to send back') }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: ({ text }) => ({ content: [{ type: 'text', text }] }),
});
