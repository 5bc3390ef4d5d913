import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import {
  CLIENT_ASSERTION_ALGORITHMS,
  invalidClient,
  invalidRequest,
  type OAuthClient,
  type PrismaClient,
} from '@mcp-auth/core';
import type { ClientDirectory } from '../clients/directory.ts';
import { MetadataDocumentError } from '../clients/metadata-document.ts';

/** RFC 7523 §2.2: the client_assertion_type of a JWT client assertion. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * How far in the future an assertion may expire. RFC 7523 §3 lets the server bound it; a short
 * bound keeps the replay records (one per assertion, until it expires) few.
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 600;
const CLOCK_TOLERANCE_SECONDS = 30;
const MAX_JTI_LENGTH = 200;
const MAX_ASSERTION_LENGTH = 8192;

const refused = (why: string) => invalidClient(`client assertion refused: ${why}`);

/**
 * The client an assertion claims to be (its `sub`, RFC 7523 §3 item 2), read before anything is
 * verified: it only tells whose keys to verify it with.
 */
export function assertedClientId(assertion: string): string {
  if (assertion.length > MAX_ASSERTION_LENGTH) throw refused('too long');
  let payload: JWTPayload;
  try {
    payload = decodeJwt(assertion);
  } catch {
    throw refused('not a JWT');
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw refused('sub is required');
  return payload.sub;
}

export interface AssertionContext {
  prisma: PrismaClient;
  clients: Pick<ClientDirectory, 'keys'>;
  /** Values the `aud` claim may hold: the issuer and the token endpoint URL. */
  audiences: readonly string[];
}

/**
 * RFC 7523 §3 client authentication: signed by one of the client's registered keys with an
 * asymmetric algorithm, `iss` = `sub` = client_id, `aud` naming us, `exp` present and soon, and a
 * `jti` never seen before. The jti is recorded in Postgres until the assertion expires: a unique
 * key makes a replay fail atomically across replicas, and the embedded mode (no Redis) works the
 * same way.
 */
export async function verifyClientAssertion(
  ctx: AssertionContext,
  client: OAuthClient,
  assertion: string,
  now = new Date(),
): Promise<void> {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(assertion).alg;
  } catch {
    throw refused('malformed header');
  }
  if (!(CLIENT_ASSERTION_ALGORITHMS as readonly unknown[]).includes(alg)) {
    throw refused(
      `alg ${JSON.stringify(alg)} is not accepted (use ${CLIENT_ASSERTION_ALGORITHMS.join(', ')})`,
    );
  }

  const payload = await verifySignature(ctx, client, assertion, now);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const exp = payload.exp!;
  if (exp - nowSeconds > MAX_ASSERTION_LIFETIME_SECONDS) {
    throw refused(`exp must be at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ahead`);
  }
  if (typeof payload.iat === 'number' && payload.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) {
    throw refused('iat is in the future');
  }
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw refused(`jti must be a string of 1 to ${MAX_JTI_LENGTH} characters`);
  }
  await recordJti(ctx.prisma, client.id, jti, new Date((exp + CLOCK_TOLERANCE_SECONDS) * 1000));
}

async function verifySignature(
  ctx: AssertionContext,
  client: OAuthClient,
  assertion: string,
  now: Date,
): Promise<JWTPayload> {
  const options = {
    issuer: client.id,
    subject: client.id,
    audience: [...ctx.audiences],
    algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
    requiredClaims: ['exp', 'jti'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    currentDate: now,
  };
  const attempt = async (refresh: boolean) =>
    (await jwtVerify(assertion, createLocalJWKSet(await keysOf(ctx, client, refresh)), options)).payload;
  try {
    return await attempt(false);
  } catch (err) {
    // A key the cached jwks_uri copy does not have may be a rotation: refetch once (rate-limited
    // by the cache) before refusing.
    if (err instanceof errors.JWKSNoMatchingKey && client.jwksUri) {
      try {
        return await attempt(true);
      } catch (retryErr) {
        throw assertionFailure(retryErr);
      }
    }
    throw assertionFailure(err);
  }
}

async function keysOf(ctx: AssertionContext, client: OAuthClient, refresh: boolean) {
  try {
    return await ctx.clients.keys(client, { refresh });
  } catch (err) {
    if (err instanceof MetadataDocumentError)
      throw refused(`the client's keys are not available: ${err.message}`);
    throw err;
  }
}

/** jose's verdicts, in words a client developer can act on; anything else is ours to report. */
function assertionFailure(err: unknown): Error {
  if (err instanceof errors.JWTClaimValidationFailed)
    return refused(`${err.claim}: ${err.reason} (${err.message})`);
  if (err instanceof errors.JWTExpired) return refused('expired');
  if (err instanceof errors.JWKSNoMatchingKey) return refused('no registered key matches its kid and alg');
  if (err instanceof errors.JOSEAlgNotAllowed) return refused('algorithm not accepted');
  if (err instanceof errors.JWSSignatureVerificationFailed) return refused('bad signature');
  if (err instanceof errors.JOSEError) return refused(err.message);
  return err instanceof Error ? err : new Error(String(err));
}

async function recordJti(
  prisma: PrismaClient,
  clientId: string,
  jti: string,
  expiresAt: Date,
): Promise<void> {
  try {
    await prisma.clientAssertion.create({ data: { clientId, jti, expiresAt } });
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'P2002') throw refused('jti already used (replay)');
    throw err;
  }
}

/** RFC 7521 §4.2: the parameters come as a pair, with the one type we support. */
export function assertionParams(params: Readonly<Record<string, string>>): string | undefined {
  const { client_assertion: assertion, client_assertion_type: type } = params;
  if (assertion === undefined && type === undefined) return undefined;
  if (assertion === undefined || type === undefined) {
    throw invalidRequest('client_assertion and client_assertion_type go together');
  }
  if (type !== JWT_BEARER_ASSERTION_TYPE)
    throw invalidClient(`unsupported client_assertion_type; use ${JWT_BEARER_ASSERTION_TYPE}`);
  return assertion;
}
