// `npm run admin`: the authorization server's admin CLI, pointed at the all-in-one mode's embedded
// database when DATABASE_URL is not set, so `npm start` users need no connection string.
import { findEmbeddedDatabaseUrl } from './postgres/embedded-database.ts';

if (!process.env.DATABASE_URL) {
  const url = await findEmbeddedDatabaseUrl(process.env.DATA_DIR || '.data');
  if (url) process.env.DATABASE_URL = url;
}
await import('@mcp-auth/authz/admin-cli');
