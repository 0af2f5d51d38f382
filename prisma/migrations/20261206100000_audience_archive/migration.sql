-- An archived audience is no longer offered to readers or editors; its versions stay in
-- the revisions that carry them (and in their content hashes), so history still shows them.
ALTER TABLE "audience" ADD COLUMN "archived_at" TIMESTAMPTZ(3);
