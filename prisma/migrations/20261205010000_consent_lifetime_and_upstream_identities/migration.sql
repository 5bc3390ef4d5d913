-- Remembered consents get a lifetime (CONSENT_LIFETIME). Consents given before this migration
-- count from their last approval with the default lifetime, 365 days.
ALTER TABLE "consents" ADD COLUMN "expiresAt" TIMESTAMPTZ(3);
UPDATE "consents" SET "expiresAt" = "updatedAt" + INTERVAL '365 days';
ALTER TABLE "consents" ALTER COLUMN "expiresAt" SET NOT NULL;

-- CreateIndex
CREATE INDEX "consents_expiresAt_idx" ON "consents"("expiresAt");
