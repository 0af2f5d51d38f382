-- API tokens, token attribution in the audit trail, and full-text search.

-- AlterTable: which API token an actor used (null for changes made on the pages).
ALTER TABLE "audit_event" ADD COLUMN     "api_token_id" UUID;

-- CreateTable
CREATE TABLE "api_token" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable (document is replaced below by a generated column, which Prisma cannot express)
CREATE TABLE "revision_search" (
    "revision_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "headings" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "reference_text" TEXT NOT NULL,

    CONSTRAINT "revision_search_pkey" PRIMARY KEY ("revision_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_token_token_hash_key" ON "api_token"("token_hash");

-- CreateIndex
CREATE INDEX "api_token_user_id_idx" ON "api_token"("user_id");

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "revision_search" ADD CONSTRAINT "revision_search_revision_id_fkey" FOREIGN KEY ("revision_id") REFERENCES "revision"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written from here on.

-- Scopes are "read" and "write" only, and a token has at least one.
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_scopes_valid"
  CHECK (cardinality("scopes") >= 1 AND "scopes" <@ ARRAY['read', 'write']::text[]);

-- The weighted search document: title (A) above headings (B) above summary and body (C),
-- then the references' titles, authors and sources (D). Generated, so it can never
-- disagree with the text it is built from.
ALTER TABLE "revision_search" ADD COLUMN "document" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', "title"), 'A') ||
  setweight(to_tsvector('english', "headings"), 'B') ||
  setweight(to_tsvector('english', "body"), 'C') ||
  setweight(to_tsvector('english', "reference_text"), 'D')
) STORED;

-- Title and headings alone: small enough to stay in the row (no TOAST read), so a query that
-- matches most articles can pick its candidates cheaply before ranking them (src/services/search.ts).
ALTER TABLE "revision_search" ADD COLUMN "heading_document" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', "title"), 'A') ||
  setweight(to_tsvector('english', "headings"), 'B')
) STORED;

-- fastupdate off: without it, new rows wait in the index's pending list until a vacuum, and
-- the planner (rightly) falls back to reading every document. Revisions are written a few at a
-- time, so updating the index at once costs little and keeps searches fast at all times.
CREATE INDEX "revision_search_document_idx" ON "revision_search" USING GIN ("document") WITH (fastupdate = off);
CREATE INDEX "revision_search_heading_document_idx" ON "revision_search" USING GIN ("heading_document") WITH (fastupdate = off);

-- Staff look references up by DOI (case-insensitive) or PMID.
CREATE INDEX "reference_doi_lower_idx" ON "reference" (lower("doi"));
CREATE INDEX "reference_pmid_idx" ON "reference" ("pmid");

-- Fills the search text of one revision from its row, sections and references.
-- Citation markers ([@key]) are dropped: they are keys, not words a reader searches for.
CREATE FUNCTION revision_search_fill(target uuid) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO "revision_search" ("revision_id", "title", "headings", "body", "reference_text")
  SELECT r."id", r."title",
    coalesce((SELECT string_agg(s."heading", E'\n' ORDER BY s."position") FROM "section" s WHERE s."revision_id" = r."id"), ''),
    regexp_replace(
      r."summary" || E'\n\n' || coalesce((SELECT string_agg(s."body", E'\n\n' ORDER BY s."position") FROM "section" s WHERE s."revision_id" = r."id"), ''),
      '\[@[^\]]*\]', ' ', 'g'),
    coalesce((SELECT string_agg(concat_ws(' ', ref."title", ref."authors", ref."source"), E'\n' ORDER BY ref."position")
              FROM "reference" ref WHERE ref."revision_id" = r."id"), '')
  FROM "revision" r WHERE r."id" = target
  ON CONFLICT ("revision_id") DO NOTHING;
$$;

CREATE FUNCTION revision_search_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM revision_search_fill(NEW."id");
  RETURN NULL;
END;
$$;

-- Deferred to commit: a revision's sections and references are inserted after its row,
-- in the same transaction. Every writer (editor, seed, import, bulk seeding) is covered.
CREATE CONSTRAINT TRIGGER "revision_search_index"
  AFTER INSERT ON "revision"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION revision_search_on_insert();

-- Revisions that exist already.
SELECT revision_search_fill("id") FROM "revision";
