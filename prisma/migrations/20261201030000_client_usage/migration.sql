-- AlterTable
ALTER TABLE "oauth_clients" ADD COLUMN     "lastUsedAt" TIMESTAMPTZ(3),
ADD COLUMN     "registrationKey" TEXT;

-- CreateIndex
CREATE INDEX "oauth_clients_registrationKey_idx" ON "oauth_clients"("registrationKey");

-- CreateIndex
CREATE INDEX "oauth_clients_lastUsedAt_idx" ON "oauth_clients"("lastUsedAt");

-- CreateIndex
CREATE INDEX "oauth_clients_createdAt_idx" ON "oauth_clients"("createdAt");

