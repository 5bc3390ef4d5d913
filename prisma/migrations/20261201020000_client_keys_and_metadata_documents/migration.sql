-- AlterTable
ALTER TABLE "oauth_clients" ADD COLUMN     "jwks" JSONB,
ADD COLUMN     "jwksUri" TEXT,
ADD COLUMN     "metadataDocument" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "client_assertions" (
    "clientId" TEXT NOT NULL,
    "jti" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "client_assertions_pkey" PRIMARY KEY ("clientId","jti")
);

-- CreateIndex
CREATE INDEX "client_assertions_expiresAt_idx" ON "client_assertions"("expiresAt");

