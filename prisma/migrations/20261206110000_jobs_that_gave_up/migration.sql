-- Jobs that fail for longer than their kind's retry policy allows are no longer marked
-- done: they get a status of their own, stay visible to admins (/admin/jobs) and can be
-- retried. failing_since is when the current run of failures began (the give-up clock).
CREATE TYPE "JobStatus" AS ENUM ('PENDING', 'DONE', 'GAVE_UP');

ALTER TABLE "job" ADD COLUMN "status" "JobStatus" NOT NULL DEFAULT 'PENDING';
ALTER TABLE "job" ADD COLUMN "failing_since" TIMESTAMPTZ(3);
ALTER TABLE "job" ADD COLUMN "gave_up_at" TIMESTAMPTZ(3);

-- Jobs set aside by the former rule (5 failures) were marked done with their next run
-- moved past that moment; a job that succeeded was marked done after its run time.
UPDATE "job" SET "status" = 'GAVE_UP', "gave_up_at" = "done_at", "done_at" = NULL
  WHERE "done_at" IS NOT NULL AND "last_error" IS NOT NULL AND "run_at" > "done_at";
UPDATE "job" SET "status" = 'DONE' WHERE "done_at" IS NOT NULL;

ALTER TABLE "job" ADD CONSTRAINT "job_done_at_iff_done" CHECK (("status" = 'DONE') = ("done_at" IS NOT NULL));
ALTER TABLE "job" ADD CONSTRAINT "job_gave_up_at_iff_gave_up" CHECK (("status" = 'GAVE_UP') = ("gave_up_at" IS NOT NULL));

DROP INDEX "job_due_idx";
CREATE INDEX "job_due_idx" ON "job" ("run_at") WHERE "status" = 'PENDING';
CREATE INDEX "job_gave_up_idx" ON "job" ("gave_up_at") WHERE "status" = 'GAVE_UP';
