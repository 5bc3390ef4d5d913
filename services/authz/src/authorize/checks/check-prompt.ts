import { invalidRequest, parseInput } from '@mcp-auth/core';
import { z } from 'zod';
import { single, type RawParams } from '../params.ts';

/** What the client asked about signing in again and consenting (OIDC Core §3.1.2.1). */
export interface PromptRequest {
  /** prompt=none: answer at once, never show a page (login_required / consent_required). */
  none: boolean;
  /** prompt=login: ask for the password even with a remembered sign-in. */
  login: boolean;
  /** prompt=consent: show the consent page even when a remembered consent covers the request. */
  consent: boolean;
  /** max_age: ask for the password when it was typed longer ago than this many seconds. */
  maxAge?: number;
}

// select_account is left out on purpose: there is one account per browser session, so it could not
// be honoured, and an ignored prompt is worse than a clear error.
const promptValues = z.array(z.enum(['none', 'login', 'consent']));
// Ten digits keep the number exact and far beyond any session's lifetime.
const maxAgeSchema = z
  .string()
  .regex(/^\d{1,10}$/)
  .transform(Number);

export function checkPrompt(params: RawParams): PromptRequest {
  const raw = single(params, 'prompt');
  const values = parseInput(promptValues, raw ? raw.split(' ').filter(Boolean) : [], () =>
    invalidRequest('prompt must be none, login or consent (space-separated)'),
  );
  const prompt = new Set(values);
  // OIDC Core §3.1.2.1: none with any other value is an error.
  if (prompt.has('none') && prompt.size > 1) {
    throw invalidRequest('prompt=none cannot be combined with other prompt values');
  }
  const maxAgeRaw = single(params, 'max_age');
  const maxAge =
    maxAgeRaw === undefined
      ? undefined
      : parseInput(maxAgeSchema, maxAgeRaw, () => invalidRequest('max_age must be a number of seconds'));
  return { none: prompt.has('none'), login: prompt.has('login'), consent: prompt.has('consent'), maxAge };
}

/** Whether a sign-in whose password was typed at `authTime` must be renewed for this request. */
export function needsFreshLogin(prompt: PromptRequest, authTime: Date, now: Date): boolean {
  if (prompt.login) return true;
  if (prompt.maxAge === undefined) return false;
  // max_age=0 always asks (OIDC: equivalent to prompt=login).
  return now.getTime() - authTime.getTime() >= prompt.maxAge * 1000;
}
