import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseUrl, commonEnv, ConfigError, loadConfig, port, postgresUrl } from './config.ts';
import { hashPassword, verifyPassword } from './password.ts';

describe('configuration', () => {
  const shape = {
    PUBLIC_URL: baseUrl,
    PORT: port(3000),
    DATABASE_URL: postgresUrl,
    NAME: z.string().optional(),
  };

  it('parses, applies defaults, and normalises the public URL', () => {
    const c = loadConfig(shape, { PUBLIC_URL: 'https://auth.example/', DATABASE_URL: 'postgres://db/x' });
    expect(c).toEqual({ PUBLIC_URL: 'https://auth.example', PORT: 3000, DATABASE_URL: 'postgres://db/x' });
  });

  it('names every variable that is missing or invalid, in one line', () => {
    expect(() => loadConfig(shape, { PUBLIC_URL: 'ftp://x', PORT: 'eighty' })).toThrow(ConfigError);
    try {
      loadConfig(shape, { PUBLIC_URL: 'ftp://x', PORT: 'eighty' });
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/PUBLIC_URL: /);
      expect(message).toMatch(/PORT: /);
      expect(message).toMatch(/DATABASE_URL: is required but not set/);
      expect(message).not.toContain('\n');
    }
  });

  it('treats an empty value as unset', () => {
    expect(() => loadConfig(shape, { PUBLIC_URL: 'http://localhost:8080', DATABASE_URL: '' })).toThrow(
      /DATABASE_URL: is required but not set/,
    );
    expect(loadConfig({ NAME: z.string().default('x') }, { NAME: '' })).toEqual({ NAME: 'x' });
  });
});

describe('PUBLIC_URL', () => {
  const load = (env: Record<string, string>) => loadConfig(commonEnv, env);

  it('accepts https anywhere and http on a loopback host', () => {
    for (const url of [
      'https://auth.example.com',
      'https://auth.example.com:8443/',
      'http://localhost:8080',
      'http://127.0.0.1:3000',
      'http://[::1]:8080',
    ]) {
      expect(load({ PUBLIC_URL: url }).ALLOW_INSECURE_PUBLIC_URL, url).toBe(false);
    }
  });

  it('refuses a path, in one line that says why', () => {
    for (const url of [
      'https://example.com/auth',
      'https://example.com/auth/',
      'http://localhost:8080/a/b',
    ]) {
      expect(() => load({ PUBLIC_URL: url }), url).toThrow(
        /^invalid configuration: PUBLIC_URL: must be an origin without a path[^\n]*$/,
      );
    }
  });

  it('refuses http on a non-loopback host unless ALLOW_INSECURE_PUBLIC_URL=true', () => {
    for (const url of ['http://auth.example.com', 'http://10.0.0.5:8080', 'http://localhost.example.com']) {
      expect(() => load({ PUBLIC_URL: url }), url).toThrow(
        /PUBLIC_URL: http is allowed only on a loopback host.*ALLOW_INSECURE_PUBLIC_URL=true/,
      );
      expect(() => load({ PUBLIC_URL: url, ALLOW_INSECURE_PUBLIC_URL: 'false' }), url).toThrow(/PUBLIC_URL/);
      expect(load({ PUBLIC_URL: url, ALLOW_INSECURE_PUBLIC_URL: 'true' })).toMatchObject({
        PUBLIC_URL: url,
        ALLOW_INSECURE_PUBLIC_URL: true,
      });
    }
    expect(() => load({ PUBLIC_URL: 'https://a.example', ALLOW_INSECURE_PUBLIC_URL: 'maybe' })).toThrow(
      /ALLOW_INSECURE_PUBLIC_URL: /,
    );
  });
});

// Three scrypt runs at N=2^17: well within the default timeout on an idle core, not on a busy one.
describe('passwords', { timeout: 60_000 }, () => {
  it('verifies the right password only, and the hash names its parameters', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('Correct horse battery staple', hash)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });
});
