import { describe, expect, it } from 'vitest';
import { loadAuthzEnv } from '../config.ts';

const env = (CLIENT_RETENTION?: string) =>
  loadAuthzEnv({
    PUBLIC_URL: 'https://auth.example.com',
    DATABASE_URL: 'postgresql://unused/unused',
    ...(CLIENT_RETENTION !== undefined && { CLIENT_RETENTION }),
  });

describe('CLIENT_RETENTION', () => {
  it('defaults to 30 days, and an empty value is unset', () => {
    expect(env().CLIENT_RETENTION).toBe(2_592_000);
    expect(env('').CLIENT_RETENTION).toBe(2_592_000);
  });

  it('takes 0 (keep every client) or at least a day', () => {
    expect(env('0').CLIENT_RETENTION).toBe(0);
    expect(env('86400').CLIENT_RETENTION).toBe(86_400);
  });

  it.each(['3600', '-1', '1.5', 'thirty days'])('refuses %s in one line naming the variable', (value) => {
    expect(() => env(value)).toThrow(/^invalid configuration: CLIENT_RETENTION: /);
  });
});
