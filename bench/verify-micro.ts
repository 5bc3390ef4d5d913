import jwt from 'jsonwebtoken';
import {
  BASE_SCOPE,
  generateSigningKeyPem,
  keySet,
  signAccessToken,
  signingKeyFromPem,
  SIGNING_ALGORITHMS,
  verifyAccessToken,
  type SigningAlgorithm,
} from '@mcp-auth/core';
import { median } from './stats.ts';

const ISSUER = 'http://localhost:8080';
const AUDIENCE = `${ISSUER}/mcp`;

export interface VerifyResult {
  alg: SigningAlgorithm;
  /** core verifyAccessToken: header checks, then jsonwebtoken's verify; what the MCP service runs. */
  coreOpsPerSecond: number;
  /** jsonwebtoken's verify alone. */
  jwtOpsPerSecond: number;
}

/** Calls `fn` for `ms` milliseconds (checking the clock every 100 calls) and returns calls per second. */
function opsPerSecond(fn: () => void, ms: number): number {
  const started = performance.now();
  let ops = 0;
  let elapsed: number;
  do {
    for (let i = 0; i < 100; i++) fn();
    ops += 100;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  return (ops / elapsed) * 1000;
}

/**
 * Verification throughput per algorithm on one core, synchronous as in the service. Rounds alternate
 * the algorithms, so a slower or faster phase of the machine affects both; the median is reported.
 */
export function benchmarkVerification(options: { rounds: number; ms: number }): VerifyResult[] {
  const setups = SIGNING_ALGORITHMS.map((alg) => {
    const key = signingKeyFromPem(generateSigningKeyPem(alg), alg);
    const { token } = signAccessToken(key, {
      issuer: ISSUER,
      subject: 'bench-user',
      audience: AUDIENCE,
      clientId: 'bench-client',
      scopes: [BASE_SCOPE],
      sid: 'bench-family',
      ttlSeconds: 3600,
    });
    const keys = keySet([key]);
    const expected = { issuer: ISSUER, audience: AUDIENCE };
    return {
      alg,
      core: () => void verifyAccessToken(token, keys, expected),
      jwt: () => void jwt.verify(token, key.key, { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }),
      coreRuns: [] as number[],
      jwtRuns: [] as number[],
    };
  });
  // Warm up (JIT, key caches) before anything is counted.
  for (const s of setups) opsPerSecond(s.core, 200);
  for (let round = 0; round < options.rounds; round++) {
    for (const s of round % 2 ? [...setups].reverse() : setups) {
      s.coreRuns.push(opsPerSecond(s.core, options.ms));
      s.jwtRuns.push(opsPerSecond(s.jwt, options.ms));
    }
  }
  return setups.map((s) => ({
    alg: s.alg,
    coreOpsPerSecond: median(s.coreRuns),
    jwtOpsPerSecond: median(s.jwtRuns),
  }));
}
