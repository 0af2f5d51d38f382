-- Instant answers at 10,000 articles (decision 0032).

-- Each passage knows its article (a revision never moves to another article), so deciding
-- whether a passage is public is one look-up of its article by primary key, done for each
-- full-text match until a query has enough: the full-text index drives every answer query.
ALTER TABLE "answer_passage" ADD COLUMN "article_id" UUID;
UPDATE "answer_passage" p SET "article_id" = r."article_id" FROM "revision" r WHERE r."id" = p."revision_id";
ALTER TABLE "answer_passage" ALTER COLUMN "article_id" SET NOT NULL;

-- A list item or paragraph per call: the planner's default guess (1,000 rows a call) made
-- filling one revision's passages look costly enough for a PostgreSQL server to compile it
-- (JIT) at every commit, about a second per saved revision. Filling is a handful of index
-- look-ups and inserts: never worth compiling.
ALTER FUNCTION answer_passage_split(text) ROWS 10;

CREATE OR REPLACE FUNCTION answer_passage_fill(target uuid) RETURNS void
LANGUAGE sql SET jit = off AS $$
  WITH parts AS (
    SELECT NULL::text AS audience_slug, NULL::text AS section_key, -1 AS position, r."summary_heading" AS heading, '' AS parent_heading, r."summary" AS body
    FROM "revision" r WHERE r."id" = target
    UNION ALL
    SELECT NULL, s."key", s."position", s."heading",
      CASE WHEN s."depth" = 1 THEN '' ELSE coalesce((SELECT p."heading" FROM "section" p WHERE p."revision_id" = s."revision_id" AND p."depth" = 1 AND p."position" < s."position" ORDER BY p."position" DESC LIMIT 1), '') END,
      s."body"
    FROM "section" s WHERE s."revision_id" = target
    UNION ALL
    SELECT v."audience_slug", v."section_key", coalesce(s."position", -1), coalesce(s."heading", r."summary_heading"),
      CASE WHEN s."depth" IS NULL OR s."depth" = 1 THEN '' ELSE coalesce((SELECT p."heading" FROM "section" p WHERE p."revision_id" = s."revision_id" AND p."depth" = 1 AND p."position" < s."position" ORDER BY p."position" DESC LIMIT 1), '') END,
      v."body"
    FROM "content_variant" v JOIN "revision" r ON r."id" = v."revision_id"
    LEFT JOIN "section" s ON s."revision_id" = v."revision_id" AND s."key" = v."section_key"
    WHERE v."revision_id" = target
  )
  INSERT INTO "answer_passage" ("revision_id", "article_id", "audience_slug", "section_key", "position", "ordinal", "title", "heading", "parent_heading", "body")
  SELECT target, r."article_id", parts.audience_slug, parts.section_key, parts.position, sp."ordinal", r."title", parts.heading, parts.parent_heading, sp."passage"
  FROM parts CROSS JOIN LATERAL answer_passage_split(parts.body) sp
  JOIN "revision" r ON r."id" = target
  WHERE NOT EXISTS (SELECT 1 FROM "answer_passage" x WHERE x."revision_id" = target);
$$;

-- How many passages (of any revision) contain each word, kept by the trigger below as passages
-- are written. It tells a common word from a rare one without reading the word's whole list in
-- the full-text index (tens of thousands of entries for the commonest words at 10,000 articles):
-- only words in fewer passages are counted exactly, among public passages, for a question.
-- Counting stops at 2,000 passages (the service's COMMON_PASSAGES): past it a word is common and
-- its row is not rewritten again, so saving many revisions in one transaction (bulk seeding,
-- imports) does not rewrite the commonest words' rows once per revision.
CREATE TABLE "answer_term" (
    "lexeme" TEXT NOT NULL,
    "passages" INTEGER NOT NULL,

    CONSTRAINT "answer_term_pkey" PRIMARY KEY ("lexeme")
);
INSERT INTO "answer_term" ("lexeme", "passages")
SELECT u."lexeme", count(*) FROM "answer_passage" p, unnest(p."document") u GROUP BY u."lexeme";

-- One statement per revision (answer_passage_fill); words in a fixed order, so two revisions
-- committing at once take the rows' locks in the same order.
CREATE FUNCTION answer_term_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "answer_term" ("lexeme", "passages")
    SELECT u."lexeme", count(*) FROM inserted p, unnest(p."document") u GROUP BY u."lexeme" ORDER BY u."lexeme"
    ON CONFLICT ("lexeme") DO UPDATE SET "passages" = "answer_term"."passages" + EXCLUDED."passages"
    WHERE "answer_term"."passages" < 2000;
  ELSE
    UPDATE "answer_term" t SET "passages" = greatest(t."passages" - d.n, 0)
    FROM (SELECT u."lexeme", count(*) AS n FROM removed p, unnest(p."document") u GROUP BY u."lexeme") d
    WHERE t."lexeme" = d."lexeme";
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "answer_term_insert" AFTER INSERT ON "answer_passage"
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION answer_term_count();
CREATE TRIGGER "answer_term_delete" AFTER DELETE ON "answer_passage"
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION answer_term_count();
