-- Instant answers from reviewed text, the lay/professional vocabulary and the reader-questions queue.

-- One row per passage (a paragraph, or a list item with the items it sits under) of every
-- revision's summary, sections and audience versions. Revisions are immutable, so passages are
-- written once, at commit, like revision_search. Which passages the public may read is decided
-- in the query, with the rule of the public article page (src/services/ask.ts).
CREATE TABLE "answer_passage" (
    "id" BIGSERIAL NOT NULL,
    "revision_id" UUID NOT NULL,
    "audience_slug" TEXT,
    "section_key" TEXT,
    "position" INTEGER NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "heading" TEXT NOT NULL,
    "parent_heading" TEXT NOT NULL,
    "body" TEXT NOT NULL,

    CONSTRAINT "answer_passage_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "answer_passage" ADD CONSTRAINT "answer_passage_revision_id_fkey" FOREIGN KEY ("revision_id") REFERENCES "revision"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE INDEX "answer_passage_revision_idx" ON "answer_passage" ("revision_id");

-- Weighted: the article's title (a clinical question) A, headings B, the passage's words C.
-- Citation markers ([@key]) are keys, not words.
ALTER TABLE "answer_passage" ADD COLUMN "document" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', "title"), 'A') ||
  setweight(to_tsvector('english', "parent_heading" || ' ' || "heading"), 'B') ||
  setweight(to_tsvector('english', regexp_replace("body", '\[@[^\]]*\]', ' ', 'g')), 'C')
) STORED;
-- The passage's own words and headings, without the title every passage of the article shares:
-- an answer must match the question in its own text, not only in the article's title.
ALTER TABLE "answer_passage" ADD COLUMN "own_document" tsvector GENERATED ALWAYS AS (
  to_tsvector('english', "parent_heading" || ' ' || "heading" || ' ' || regexp_replace("body", '\[@[^\]]*\]', ' ', 'g'))
) STORED;
CREATE INDEX "answer_passage_document_idx" ON "answer_passage" USING GIN ("document") WITH (fastupdate = off);

-- Splits Markdown into passages: a paragraph, or one list item preceded by the lines of the
-- items it is nested under ("- **Tizanidine:**" then "  - Dosing: …"), which stays valid Markdown
-- and is exactly text of the page.
CREATE FUNCTION answer_passage_split(body text) RETURNS TABLE("ordinal" integer, "passage" text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  block text;
  line text;
  n integer := 0;
  items text[];
  indents integer[];
  anc text[];
  anc_ind integer[];
  i integer;
  ind integer;
  item_re constant text := '^[ \t]*([-*+]|[0-9]+[.)])[ \t]';
BEGIN
  FOR block IN SELECT b FROM regexp_split_to_table(coalesce(body, ''), E'\\n[ \\t]*\\n') AS b LOOP
    IF btrim(block, E' \t\r\n') = '' THEN CONTINUE; END IF;
    IF block ~ item_re THEN
      items := '{}'; indents := '{}';
      FOREACH line IN ARRAY string_to_array(block, E'\n') LOOP
        IF line ~ item_re OR cardinality(items) = 0 THEN
          items := items || line;
          indents := indents || (length(line) - length(ltrim(line, E' \t')));
        ELSE
          items[cardinality(items)] := items[cardinality(items)] || E'\n' || line;
        END IF;
      END LOOP;
      anc := '{}'; anc_ind := '{}';
      FOR i IN 1..cardinality(items) LOOP
        ind := indents[i];
        WHILE cardinality(anc) > 0 AND anc_ind[cardinality(anc)] >= ind LOOP
          anc := anc[1:cardinality(anc) - 1];
          anc_ind := anc_ind[1:cardinality(anc_ind) - 1];
        END LOOP;
        IF i < cardinality(items) AND indents[i + 1] > ind THEN
          anc := anc || items[i];
          anc_ind := anc_ind || ind;
        ELSE
          n := n + 1;
          "ordinal" := n;
          "passage" := array_to_string(anc || items[i], E'\n');
          RETURN NEXT;
        END IF;
      END LOOP;
    ELSE
      n := n + 1;
      "ordinal" := n;
      "passage" := btrim(block, E'\r\n');
      RETURN NEXT;
    END IF;
  END LOOP;
END;
$$;

-- The passages of one revision: the summary (position -1), each section, and each audience
-- version of them. parent_heading is the level-1 heading a subsection sits under.
CREATE FUNCTION answer_passage_fill(target uuid) RETURNS void
LANGUAGE sql AS $$
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
  INSERT INTO "answer_passage" ("revision_id", "audience_slug", "section_key", "position", "ordinal", "title", "heading", "parent_heading", "body")
  SELECT target, parts.audience_slug, parts.section_key, parts.position, sp."ordinal", r."title", parts.heading, parts.parent_heading, sp."passage"
  FROM parts CROSS JOIN LATERAL answer_passage_split(parts.body) sp
  JOIN "revision" r ON r."id" = target
  WHERE NOT EXISTS (SELECT 1 FROM "answer_passage" x WHERE x."revision_id" = target);
$$;

CREATE FUNCTION answer_passage_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM answer_passage_fill(NEW."id");
  RETURN NULL;
END;
$$;

-- Deferred to commit, after the revision's sections and audience versions exist.
CREATE CONSTRAINT TRIGGER "answer_passage_index"
  AFTER INSERT ON "revision"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION answer_passage_on_insert();

SELECT answer_passage_fill("id") FROM "revision";

-- Lay words readers use and the professional terms articles use for the same thing.
CREATE TABLE "ask_vocabulary" (
    "id" UUID NOT NULL,
    "lay_term" TEXT NOT NULL,
    "professional_term" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ask_vocabulary_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "ask_vocabulary_pair_key" ON "ask_vocabulary" (lower("lay_term"), lower("professional_term"));

-- Reader questions: a group per set of normalized terms (near-duplicates), a row per wording.
CREATE TYPE "ReaderQuestionKind" AS ENUM ('QUESTION', 'CORRECTION');
CREATE TYPE "ReaderQuestionStatus" AS ENUM ('OPEN', 'DRAFTING', 'ANSWERED', 'DECLINED');

CREATE TABLE "reader_question_group" (
    "id" UUID NOT NULL,
    "kind" "ReaderQuestionKind" NOT NULL,
    "normalized" TEXT NOT NULL,
    "status" "ReaderQuestionStatus" NOT NULL DEFAULT 'OPEN',
    "article_id" UUID,
    "decline_reason" TEXT,
    "times_asked" INTEGER NOT NULL DEFAULT 0,
    "times_answered" INTEGER NOT NULL DEFAULT 0,
    "helpful_yes" INTEGER NOT NULL DEFAULT 0,
    "helpful_no" INTEGER NOT NULL DEFAULT 0,
    "first_asked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_asked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reader_question_group_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "reader_question_group_kind_normalized_key" ON "reader_question_group" ("kind", "normalized");
CREATE INDEX "reader_question_group_status_idx" ON "reader_question_group" ("status", "last_asked_at");
ALTER TABLE "reader_question_group" ADD CONSTRAINT "reader_question_group_article_id_fkey" FOREIGN KEY ("article_id") REFERENCES "article"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "reader_question" (
    "id" UUID NOT NULL,
    "group_id" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "article_slug" TEXT,
    "times_asked" INTEGER NOT NULL DEFAULT 1,
    "answer_shown" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_asked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reader_question_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "reader_question_wording_key" ON "reader_question" ("group_id", lower("text"));
ALTER TABLE "reader_question" ADD CONSTRAINT "reader_question_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "reader_question_group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One vote per answer shown: the signed token's nonce is used once.
CREATE TABLE "reader_feedback" (
    "nonce" TEXT NOT NULL,
    "group_id" UUID NOT NULL,
    "helpful" BOOLEAN NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reader_feedback_pkey" PRIMARY KEY ("nonce")
);
ALTER TABLE "reader_feedback" ADD CONSTRAINT "reader_feedback_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "reader_question_group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A reader's address, kept only until they are told (once) or the retention period ends.
CREATE TABLE "reader_question_email" (
    "id" UUID NOT NULL,
    "group_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "queued_at" TIMESTAMPTZ(3),

    CONSTRAINT "reader_question_email_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "reader_question_email_group_email_key" ON "reader_question_email" ("group_id", lower("email"));
CREATE INDEX "reader_question_email_created_idx" ON "reader_question_email" ("created_at");
ALTER TABLE "reader_question_email" ADD CONSTRAINT "reader_question_email_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "reader_question_group"("id") ON DELETE CASCADE ON UPDATE CASCADE;
