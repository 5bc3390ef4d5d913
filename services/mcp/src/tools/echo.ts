import { z } from 'zod';
import { defineTool } from './define.ts';

export const echoTool = defineTool({
  name: 'echo',
  title: 'Echo',
  description: 'Returns the text it is given.',
  inputSchema: z.object({ text: z.string().describe('The text to send back') }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: ({ text }) => ({ content: [{ type: 'text', text }] }),
});
