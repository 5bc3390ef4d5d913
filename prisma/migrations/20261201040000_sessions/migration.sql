-- AlterTable
ALTER TABLE "authorization_codes" ADD COLUMN     "authTime" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "authorization_requests" ADD COLUMN     "authTime" TIMESTAMPTZ(3),
ADD COLUMN     "forceConsent" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "refresh_tokens" ADD COLUMN     "authTime" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "sessions" (
    "idHash" TEXT NOT NULL,
    "userId" UUID NOT NULL,
    "authTime" TIMESTAMPTZ(3) NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "absoluteExpiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("idHash")
);

-- CreateIndex
CREATE INDEX "sessions_userId_idx" ON "sessions"("userId");

-- CreateIndex
CREATE INDEX "sessions_expiresAt_idx" ON "sessions"("expiresAt");

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

