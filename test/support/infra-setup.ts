import type { TestProject } from 'vitest/node';
import { startTestServers, type TestServers } from './infra-servers.ts';

/**
 * vitest global setup of the integration and end-to-end projects: starts (or finds) the run's
 * PostgreSQL and Redis once, hands their URLs to every test file through `provide`, and stops what
 * it started when the run ends. Both projects list this file; each loads its own copy of the
 * module, so the one set of servers is shared through the main process's globalThis and stopped
 * when the last project is done with it.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    testServers: { postgresUrl: string; redisUrl: string };
  }
}

interface Shared {
  servers: Promise<TestServers>;
  users: number;
}
const KEY = Symbol.for('mcp-auth.test-servers');
const registry = globalThis as { [KEY]?: Shared };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = (registry[KEY] ??= { servers: startTestServers(), users: 0 });
  shared.users += 1;
  const servers = await shared.servers;
  if (shared.users === 1) console.log(`test servers: ${servers.description}`);
  project.provide('testServers', { postgresUrl: servers.postgresUrl, redisUrl: servers.redisUrl });
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry[KEY];
    await servers.stop();
  };
}
