-- Rules the database itself enforces, beyond what the Prisma schema can express.

-- 1. The audit trail is append-only (21 CFR 11.10(e)): no UPDATE, DELETE or TRUNCATE,
--    whoever asks. Events are only ever INSERTed by src/audit/audit-log.ts.
CREATE FUNCTION audit_event_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_event_no_update_delete
  BEFORE UPDATE OR DELETE ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION audit_event_reject_change();

CREATE TRIGGER audit_event_no_truncate
  BEFORE TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_reject_change();

-- 2. Exactly one revision per article is in the review pipeline at a time.
CREATE UNIQUE INDEX "revision_one_in_review_per_article"
  ON "revision" ("article_id")
  WHERE "state" IN ('SUBMITTED', 'UNDER_REVIEW');

-- 3. Sections are one or two levels deep.
ALTER TABLE "section" ADD CONSTRAINT "section_depth_range" CHECK ("depth" IN (1, 2));
