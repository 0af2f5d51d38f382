-- The workflow engine: "live" has one source of truth, plus the durable job queue,
-- scheduled publications and preview links.

-- 1. A revision's state says what the board did, never whether it is live: the live
--    revision is article.published_revision_id. Live revisions were approved ones.
UPDATE "revision" SET "state" = 'APPROVED' WHERE "state" = 'PUBLISHED';

DROP INDEX "revision_one_in_review_per_article";
DROP INDEX "revision_state_idx";
ALTER TYPE "RevisionState" RENAME TO "RevisionState_old";
CREATE TYPE "RevisionState" AS ENUM ('DRAFT', 'SUBMITTED', 'UNDER_REVIEW', 'CHANGES_REQUESTED', 'APPROVED');
ALTER TABLE "revision" ALTER COLUMN "state" DROP DEFAULT;
ALTER TABLE "revision" ALTER COLUMN "state" TYPE "RevisionState" USING ("state"::text::"RevisionState");
ALTER TABLE "revision" ALTER COLUMN "state" SET DEFAULT 'DRAFT';
DROP TYPE "RevisionState_old";
CREATE INDEX "revision_state_idx" ON "revision"("state");
-- The states locked for editing (src/workflow/states.ts); test/workflow-model.test.ts checks they agree.
CREATE UNIQUE INDEX "revision_one_in_review_per_article"
  ON "revision" ("article_id")
  WHERE "state" IN ('SUBMITTED', 'UNDER_REVIEW');

-- 2. A durable job queue: work that must happen after a commit, or at a time, is a row
--    written in the transaction that asked for it. Workers claim due rows with
--    FOR UPDATE SKIP LOCKED and mark them done in the transaction that does the work.
CREATE TABLE "job" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "done_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "job_due_idx" ON "job" ("run_at") WHERE "done_at" IS NULL;

-- 3. Scheduled publication or unpublication of one named revision.
CREATE TYPE "ScheduleAction" AS ENUM ('PUBLISH', 'UNPUBLISH');
CREATE TYPE "ScheduleStatus" AS ENUM ('SCHEDULED', 'DONE', 'FAILED', 'CANCELLED');
CREATE TABLE "publication_schedule" (
    "id" UUID NOT NULL,
    "article_id" UUID NOT NULL,
    "revision_id" UUID NOT NULL,
    "action" "ScheduleAction" NOT NULL,
    "run_at" TIMESTAMPTZ(3) NOT NULL,
    "status" "ScheduleStatus" NOT NULL DEFAULT 'SCHEDULED',
    "failure_reason" TEXT,
    "created_by_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "publication_schedule_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "publication_schedule_article_id_idx" ON "publication_schedule"("article_id");
CREATE INDEX "publication_schedule_status_run_at_idx" ON "publication_schedule"("status", "run_at");
ALTER TABLE "publication_schedule" ADD CONSTRAINT "publication_schedule_article_id_fkey" FOREIGN KEY ("article_id") REFERENCES "article"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "publication_schedule" ADD CONSTRAINT "publication_schedule_revision_id_fkey" FOREIGN KEY ("revision_id") REFERENCES "revision"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "publication_schedule" ADD CONSTRAINT "publication_schedule_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- 4. Read-only preview links for one revision (signed, expiring, revocable).
CREATE TABLE "preview_link" (
    "id" UUID NOT NULL,
    "article_id" UUID NOT NULL,
    "revision_id" UUID NOT NULL,
    "created_by_id" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "preview_link_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "preview_link_article_id_idx" ON "preview_link"("article_id");
ALTER TABLE "preview_link" ADD CONSTRAINT "preview_link_article_id_fkey" FOREIGN KEY ("article_id") REFERENCES "article"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "preview_link" ADD CONSTRAINT "preview_link_revision_id_fkey" FOREIGN KEY ("revision_id") REFERENCES "revision"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "preview_link" ADD CONSTRAINT "preview_link_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- 5. Reviewers assigned to a revision, with a due date. Reassigning ends the active
--    assignments (ended_at) and adds new ones; history stays.
CREATE TABLE "review_assignment" (
    "id" UUID NOT NULL,
    "article_id" UUID NOT NULL,
    "revision_id" UUID NOT NULL,
    "reviewer_id" UUID NOT NULL,
    "assigned_by_id" UUID NOT NULL,
    "due_on" DATE NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "due_soon_notified_at" TIMESTAMPTZ(3),
    "overdue_notified_at" TIMESTAMPTZ(3),

    CONSTRAINT "review_assignment_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "review_assignment_revision_id_idx" ON "review_assignment"("revision_id");
CREATE INDEX "review_assignment_reviewer_id_ended_at_idx" ON "review_assignment"("reviewer_id", "ended_at");
CREATE UNIQUE INDEX "review_assignment_one_active" ON "review_assignment" ("revision_id", "reviewer_id") WHERE "ended_at" IS NULL;
ALTER TABLE "review_assignment" ADD CONSTRAINT "review_assignment_article_id_fkey" FOREIGN KEY ("article_id") REFERENCES "article"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "review_assignment" ADD CONSTRAINT "review_assignment_revision_id_fkey" FOREIGN KEY ("revision_id") REFERENCES "revision"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "review_assignment" ADD CONSTRAINT "review_assignment_reviewer_id_fkey" FOREIGN KEY ("reviewer_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "review_assignment" ADD CONSTRAINT "review_assignment_assigned_by_id_fkey" FOREIGN KEY ("assigned_by_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- 6. In-app notifications, and each person's choice of which ones also come by e-mail
--    (no row = e-mail on). E-mail is sent from the job queue after commit.
CREATE TABLE "notification" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "article_id" UUID,
    "message" TEXT NOT NULL,
    "link" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "read_at" TIMESTAMPTZ(3),

    CONSTRAINT "notification_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "notification_user_id_read_at_idx" ON "notification"("user_id", "read_at");
ALTER TABLE "notification" ADD CONSTRAINT "notification_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "notification_preference" (
    "user_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "email" BOOLEAN NOT NULL,

    CONSTRAINT "notification_preference_pkey" PRIMARY KEY ("user_id", "kind")
);
ALTER TABLE "notification_preference" ADD CONSTRAINT "notification_preference_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
