-- Passages without figure lines (decisions 0032 and 0037).

-- A line [[figure:<key>]] places a figure (an image with its caption) in a section: it is not
-- text an answer can quote, so passages are written without those lines.
CREATE OR REPLACE FUNCTION answer_passage_fill(target uuid) RETURNS void
LANGUAGE sql SET jit = off AS $$
  WITH raw_parts AS (
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
  ), parts AS (
    SELECT audience_slug, section_key, position, heading, parent_heading,
      regexp_replace(body, '^[ \t]*\[\[figure:[^]\s]{1,80}\]\][ \t]*$', '', 'gn') AS body
    FROM raw_parts
  )
  INSERT INTO "answer_passage" ("revision_id", "article_id", "audience_slug", "section_key", "position", "ordinal", "title", "heading", "parent_heading", "body")
  SELECT target, r."article_id", parts.audience_slug, parts.section_key, parts.position, sp."ordinal", r."title", parts.heading, parts.parent_heading, sp."passage"
  FROM parts CROSS JOIN LATERAL answer_passage_split(parts.body) sp
  JOIN "revision" r ON r."id" = target
  WHERE NOT EXISTS (SELECT 1 FROM "answer_passage" x WHERE x."revision_id" = target);
$$;

-- Revisions with figures get their passages again, without the figures' lines (answer_term's
-- triggers take the old passages' words out and count the new ones).
DELETE FROM "answer_passage" WHERE "revision_id" IN (SELECT "revision_id" FROM "figure");
SELECT answer_passage_fill(r."id") FROM "revision" r WHERE r."id" IN (SELECT "revision_id" FROM "figure");
