import { LRUCache } from 'lru-cache';
import { Prisma, type AuthorizationRequest, type PrismaClient, type User } from '@mcp-auth/core';

/** A stored authorization request and, once someone has signed in for it, their username. */
export type StoredRequest = AuthorizationRequest & { username: string | null };
export type NewAuthorizationRequest = Omit<AuthorizationRequest, 'createdAt'>;

// Copies kept; beyond it, the least recently used are read from the database again. A request
// lives for AUTH_REQUEST_TTL (minutes), so this is more than one replica has people signing in at
// once; the bound holds the memory under a flood of /authorize calls (a copy's largest fields,
// state and redirect_uri, are bounded by the endpoint and by registration).
const MAX_KEPT = 2_000;

/**
 * Where the flow's authorization requests live: rows in PostgreSQL (the record every replica
 * shares), and a copy in this process of the requests it wrote or read, so that the login page,
 * the login, the consent page and the consent do not read the row again: four of the flow's nine
 * statements (README "Benchmarks", the flow section).
 *
 * The copy is only ever used to show a page and to check the binding and CSRF token, which never
 * change. Everything that matters is decided by the row: binding the request to a user at login
 * (`bindRequestSql`) and consuming it into a code (issue-code) are statements on the row, which
 * fail when it is gone (consumed, denied, or removed by a sign-out in another process), has
 * expired, or its user has been disabled, and for the code when it is bound to someone else since.
 * A copy without a user is read again when a step needs one (the login may have happened on
 * another replica).
 *
 * Raw statements: a `findUnique` took 0.41 ms p50 here and the same read through `$queryRaw` 0.18 ms
 * (2,000 reads each, 2026-12-05). Columns are named as in `prisma/schema.prisma`;
 * `request-store.int.test.ts` checks what these return against Prisma's own reading of the row.
 */
export class RequestStore {
  private readonly kept = new LRUCache<string, StoredRequest>({ max: MAX_KEPT });

  constructor(private readonly prisma: PrismaClient) {}

  async store(r: NewAuthorizationRequest, now = new Date()): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO "authorization_requests"
        ("id", "clientId", "redirectUri", "scopes", "state", "codeChallenge", "codeChallengeMethod",
         "resource", "bindingHash", "csrfToken", "userId", "authTime", "forceConsent", "expiresAt", "createdAt")
      VALUES (${r.id}, ${r.clientId}, ${r.redirectUri}, ${r.scopes}::text[], ${r.state}, ${r.codeChallenge},
        ${r.codeChallengeMethod}, ${r.resource}, ${r.bindingHash}, ${r.csrfToken}, ${r.userId}::uuid,
        ${r.authTime}::timestamptz(3), ${r.forceConsent}, ${r.expiresAt}::timestamptz(3), ${now}::timestamptz(3))`;
    // A user bound at creation (a remembered sign-in) has their name read with the request later.
    if (r.userId === null) this.keep({ ...r, createdAt: now, username: null });
  }

  /**
   * The request with this id, from this process's copy when it has one; `signedIn`: the caller
   * needs the user, so a copy without one is not enough.
   */
  async read(id: string, opts: { signedIn?: boolean } = {}): Promise<StoredRequest | undefined> {
    const kept = this.kept.get(id);
    if (kept && (kept.userId !== null || !opts.signedIn)) return kept;
    const [row] = await this.prisma.$queryRaw<StoredRequest[]>`
      SELECT r.*, u."username" FROM "authorization_requests" r
      LEFT JOIN "users" u ON u."id" = r."userId" AND u."disabledAt" IS NULL
      WHERE r."id" = ${id}`;
    if (row) this.keep(row);
    else this.kept.delete(id);
    return row;
  }

  /** After `bindRequestSql` has run: the request is now the user's, signed in at `authTime`. */
  bound(id: string, user: Pick<User, 'id' | 'username'>, authTime: Date): void {
    const kept = this.kept.get(id);
    if (kept) this.keep({ ...kept, userId: user.id, username: user.username, authTime });
  }

  /** The request was consumed by a statement of the caller's: the copy goes too. */
  forget(id: string): void {
    this.kept.delete(id);
  }

  /** Ends the request (denied, expired): the row and the copy. */
  async remove(id: string): Promise<void> {
    this.kept.delete(id);
    await this.prisma.$executeRaw`DELETE FROM "authorization_requests" WHERE "id" = ${id}`;
  }

  private keep(r: StoredRequest): void {
    const ttl = r.expiresAt.getTime() - Date.now();
    if (ttl > 0) this.kept.set(r.id, r, { ttl });
  }
}

/**
 * The CTE (`bound`: a row if the request still exists and has not expired, and the user has not
 * been disabled meanwhile) that records who signed in for the request, and when (`authTime`, which is now); a fragment of the login's statement
 * (finish-sign-in). Then `RequestStore.bound`.
 */
export const bindRequestSql = (id: string, userId: string, authTime: Date) => Prisma.sql`
  bound AS (
    UPDATE "authorization_requests" SET "userId" = ${userId}::uuid, "authTime" = ${authTime}::timestamptz(3)
    WHERE "id" = ${id} AND "expiresAt" > ${authTime}::timestamptz(3)
      AND EXISTS (SELECT 1 FROM "users" WHERE "id" = ${userId}::uuid AND "disabledAt" IS NULL)
    RETURNING 1)`;
