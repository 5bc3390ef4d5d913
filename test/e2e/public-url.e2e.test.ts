import { describe, expect, it } from 'vitest';
import entryPoints from '../../scripts/entry-points.json' with { type: 'json' };
import { run } from '../support/processes.ts';

/**
 * PUBLIC_URL rules at the start of every real process (the three services and the all-in-one
 * mode): a path, or http on a host other than this machine, stops it with one line naming the
 * variable, before it connects to anything. Each runs with everything else it requires set.
 */
const SERVICES = {
  registration: { DATABASE_URL: 'postgresql://127.0.0.1:1/x', REDIS_URL: 'redis://127.0.0.1:1' },
  authz: { DATABASE_URL: 'postgresql://127.0.0.1:1/x', REDIS_URL: 'redis://127.0.0.1:1' },
  mcp: {
    DATABASE_URL: 'postgresql://127.0.0.1:1/x',
    REDIS_URL: 'redis://127.0.0.1:1',
    JWT_PUBLIC_KEYS_PATH: '/nonexistent/keys.pem',
  },
  embedded: {},
} as const;

const startService = (name: keyof typeof SERVICES, env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', entryPoints[name]], {
    LOG_LEVEL: 'info',
    ...SERVICES[name],
    // Whatever the test runner's environment says must not decide the outcome.
    ALLOW_INSECURE_PUBLIC_URL: '',
    MCP_POLICY_PATH: '',
    ...env,
  });

describe.each(Object.keys(SERVICES) as (keyof typeof SERVICES)[])('%s at start', (name) => {
  it('refuses a PUBLIC_URL with a path, and http on a non-loopback host, in one line', async () => {
    const cases = [
      ['https://example.com/auth', /PUBLIC_URL: must be an origin without a path/],
      ['http://auth.example.com', /PUBLIC_URL: http is allowed only on a loopback host/],
    ] as const;
    // Both at once: most of the time is Node and tsx starting.
    const results = await Promise.all(cases.map(([url]) => startService(name, { PUBLIC_URL: url })));
    results.forEach(({ code, stderr }, i) => {
      expect(code, stderr).toBe(1);
      const lines = stderr.trim().split('\n');
      expect(lines, stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^start-up failed: invalid configuration: /);
      expect(lines[0]).toMatch(cases[i]![1]);
    });
  });
});

describe('ALLOW_INSECURE_PUBLIC_URL=true', () => {
  it('lets an http PUBLIC_URL through, with a warning in the log', async () => {
    // A policy file that is not there stops authz right after the checks, before any connection.
    const { code, stdout, stderr } = await startService('authz', {
      PUBLIC_URL: 'http://auth.example.com',
      ALLOW_INSECURE_PUBLIC_URL: 'true',
      MCP_POLICY_PATH: '/nonexistent/policy.yaml',
    });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      'start-up failed: MCP_POLICY_PATH: cannot read /nonexistent/policy.yaml: ENOENT',
    );
    const warning = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; publicUrl?: string })
      .find((l) => l.msg.startsWith('ALLOW_INSECURE_PUBLIC_URL=true'));
    expect(warning).toMatchObject({ level: 40, publicUrl: 'http://auth.example.com' });
  });
});
