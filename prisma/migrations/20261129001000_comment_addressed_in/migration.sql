-- A change request closed by a resubmission remembers the revision that answered it,
-- so its thread can say "addressed in r2 by Alice Carter". Null for threads closed by
-- hand (or before this column existed).
ALTER TABLE "comment" ADD COLUMN "resolved_in_revision_id" UUID;
ALTER TABLE "comment" ADD CONSTRAINT "comment_resolved_in_revision_id_fkey"
  FOREIGN KEY ("resolved_in_revision_id") REFERENCES "revision"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
