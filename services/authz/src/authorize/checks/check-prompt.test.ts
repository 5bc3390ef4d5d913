import { describe, expect, it } from 'vitest';
import type { RawParams } from '../params.ts';
import { checkPrompt, needsFreshLogin } from './check-prompt.ts';

const invalid = expect.objectContaining({ error: 'invalid_request' });

describe('checkPrompt', () => {
  it('reads none, login, consent (space-separated) and max_age', () => {
    expect(checkPrompt({})).toEqual({ none: false, login: false, consent: false, maxAge: undefined });
    expect(checkPrompt({ prompt: 'none' })).toMatchObject({ none: true, login: false, consent: false });
    expect(checkPrompt({ prompt: 'login consent' })).toMatchObject({
      none: false,
      login: true,
      consent: true,
    });
    expect(checkPrompt({ prompt: '', max_age: '0' })).toMatchObject({ none: false, maxAge: 0 });
    expect(checkPrompt({ max_age: '3600' }).maxAge).toBe(3600);
  });

  it('refuses unknown values, none with others, repeats and malformed max_age', () => {
    const cases: RawParams[] = [
      { prompt: 'select_account' },
      { prompt: 'LOGIN' },
      { prompt: 'none login' },
      { prompt: ['login', 'consent'] },
      { max_age: '-1' },
      { max_age: '1.5' },
      { max_age: 'abc' },
      { max_age: '99999999999' },
      { max_age: ['1', '2'] },
    ];
    for (const params of cases) {
      expect(() => checkPrompt(params), JSON.stringify(params)).toThrow(invalid);
    }
  });
});

describe('needsFreshLogin', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const ago = (s: number) => new Date(now.getTime() - s * 1000);
  const prompt = (p: Partial<ReturnType<typeof checkPrompt>>) => ({ ...checkPrompt({}), ...p });

  it('asks with prompt=login, with max_age=0, and when the password is older than max_age', () => {
    expect(needsFreshLogin(prompt({ login: true }), ago(1), now)).toBe(true);
    expect(needsFreshLogin(prompt({ maxAge: 0 }), now, now)).toBe(true);
    expect(needsFreshLogin(prompt({ maxAge: 60 }), ago(61), now)).toBe(true);
  });

  it('does not otherwise', () => {
    expect(needsFreshLogin(prompt({}), ago(86_400), now)).toBe(false);
    expect(needsFreshLogin(prompt({ maxAge: 60 }), ago(59), now)).toBe(false);
    expect(needsFreshLogin(prompt({ consent: true, none: false }), ago(10), now)).toBe(false);
  });
});
