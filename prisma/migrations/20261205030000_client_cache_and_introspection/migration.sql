-- AlterTable
ALTER TABLE "oauth_clients" ADD COLUMN     "introspectionResource" TEXT;

-- Every change to a client row, whoever makes it (registration, admin, housekeeping, a manual
-- UPDATE), tells the processes that cache client records: NOTIFY is delivered at commit, so a
-- listener that rereads sees the new row. Inserts need no message: nothing caches a missing client.
-- An id too long for a NOTIFY payload (8000 bytes) asks listeners to drop everything instead.
CREATE FUNCTION "oauth_client_changed"() RETURNS trigger AS $$
DECLARE
  changed TEXT := CASE WHEN TG_OP = 'DELETE' THEN OLD."id" ELSE NEW."id" END;
BEGIN
  IF octet_length(changed) > 7000 THEN changed := '*'; END IF;
  PERFORM pg_notify('oauth_client_changed', changed);
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "oauth_client_changed" AFTER UPDATE OR DELETE ON "oauth_clients"
FOR EACH ROW EXECUTE FUNCTION "oauth_client_changed"();
