// The CLI's entry point: bin/mcp-auth.js runs its bundle (dist/mcp-auth.js) or, without a current
// bundle, this file through tsx.
import { run } from './cli.ts';

await run();
