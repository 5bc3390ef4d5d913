import { describe, expect, it } from 'vitest';
import { UserError, validatePassword, validateUsername } from './users.ts';

describe('validateUsername', () => {
  it('accepts 1 to 64 letters, digits and . _ @ -', () => {
    for (const name of ['a', 'alice', 'a.b_c-d@example.org', 'x'.repeat(64)]) {
      expect(() => validateUsername(name)).not.toThrow();
    }
  });

  it('refuses empty, long, spaced and other characters', () => {
    for (const name of ['', 'x'.repeat(65), 'bad name', 'a/b', 'ünï', 'a<b>']) {
      expect(() => validateUsername(name)).toThrow(UserError);
    }
  });
});

describe('validatePassword', () => {
  it('needs at least 8 characters, counting characters rather than bytes', () => {
    expect(() => validatePassword('1234567')).toThrow(/too short/);
    expect(() => validatePassword('12345678')).not.toThrow();
    expect(() => validatePassword('ééééééé')).toThrow(/too short/);
  });

  it('refuses absurdly long passwords', () => {
    expect(() => validatePassword('x'.repeat(1025))).toThrow(/too long/);
  });
});
