-- AlterTable
ALTER TABLE "refresh_tokens" ADD COLUMN     "familyExpiresAt" TIMESTAMPTZ(3);

