// Imported rather than read at run time, so the bundle (dist/mcp-auth.js) carries it too.
import pkg from '../package.json' with { type: 'json' };

/** The CLI's version, from its package.json (one source of truth for --version and clientInfo). */
export const CLIENT_VERSION: string = pkg.version;
