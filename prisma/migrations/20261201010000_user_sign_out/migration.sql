-- AlterTable
ALTER TABLE "revocations" ADD COLUMN     "notBefore" TIMESTAMPTZ(3);

