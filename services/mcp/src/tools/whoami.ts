import { z } from 'zod';
import { defineTool } from './define.ts';

const identity = z.object({
  sub: z.string().describe('The user (or, for client credentials, the client) the token was issued to'),
  client_id: z.string().describe('The OAuth client that holds the token'),
  scopes: z.array(z.string()).describe('The scopes granted to the token'),
});

export const whoamiTool = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description: 'Returns the subject, client and scopes of the access token used to call it.',
  inputSchema: z.object({}),
  outputSchema: identity,
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (_args, caller) => {
    const result: z.output<typeof identity> = {
      sub: caller.subject,
      client_id: caller.clientId,
      scopes: caller.scopes,
    };
    return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
  },
});
