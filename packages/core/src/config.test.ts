import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseUrl, ConfigError, loadConfig, port, postgresUrl } from './config.ts';
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

describe('passwords', () => {
  it('verifies the right password only, and the hash names its parameters', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('Correct horse battery staple', hash)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });
});
