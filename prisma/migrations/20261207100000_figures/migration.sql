-- Figures in articles (decision 0037): images stored once in the database, addressed by the
-- SHA-256 of their stored (metadata-free) bytes, and figures that belong to a revision like its
-- sections, covered by its content hash.

CREATE TABLE "media" (
    "hash" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "has_alpha" BOOLEAN NOT NULL,
    "byte_size" INTEGER NOT NULL,
    "bytes" BYTEA,
    "original_name" TEXT,
    "uploaded_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    "deleted_reason" TEXT,

    CONSTRAINT "media_pkey" PRIMARY KEY ("hash"),
    CONSTRAINT "media_hash_is_sha256" CHECK ("hash" ~ '^[0-9a-f]{64}$'),
    CONSTRAINT "media_format_known" CHECK ("format" IN ('jpeg', 'png', 'webp', 'avif')),
    -- Stored bytes exist exactly until the image is deleted.
    CONSTRAINT "media_bytes_until_deleted" CHECK (("bytes" IS NULL) = ("deleted_at" IS NOT NULL))
);
ALTER TABLE "media" ADD CONSTRAINT "media_uploaded_by_id_fkey" FOREIGN KEY ("uploaded_by_id") REFERENCES "app_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "media_rendition" (
    "media_hash" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "format" TEXT NOT NULL,
    "height" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "media_rendition_pkey" PRIMARY KEY ("media_hash", "width", "format")
);
ALTER TABLE "media_rendition" ADD CONSTRAINT "media_rendition_media_hash_fkey" FOREIGN KEY ("media_hash") REFERENCES "media"("hash") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "figure" (
    "id" UUID NOT NULL,
    "revision_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "section_key" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "media_hash" TEXT NOT NULL,
    "alt" TEXT NOT NULL,
    "decorative" BOOLEAN NOT NULL DEFAULT false,
    "caption" TEXT NOT NULL,
    "credit" TEXT NOT NULL,
    "licence" TEXT NOT NULL,
    "reference_key" TEXT,

    CONSTRAINT "figure_pkey" PRIMARY KEY ("id"),
    -- Alternative text is required unless the image is marked decorative.
    CONSTRAINT "figure_alt_or_decorative" CHECK ("decorative" OR length(btrim("alt")) > 0)
);
CREATE UNIQUE INDEX "figure_revision_id_key_key" ON "figure"("revision_id", "key");
CREATE UNIQUE INDEX "figure_revision_id_position_key" ON "figure"("revision_id", "position");
CREATE INDEX "figure_media_hash_idx" ON "figure"("media_hash");
ALTER TABLE "figure" ADD CONSTRAINT "figure_revision_id_fkey" FOREIGN KEY ("revision_id") REFERENCES "revision"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "figure" ADD CONSTRAINT "figure_media_hash_fkey" FOREIGN KEY ("media_hash") REFERENCES "media"("hash") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "figure_variant" (
    "id" UUID NOT NULL,
    "figure_id" UUID NOT NULL,
    "audience_slug" TEXT NOT NULL,
    "alt" TEXT NOT NULL,
    "caption" TEXT NOT NULL,

    CONSTRAINT "figure_variant_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "figure_variant_figure_id_audience_slug_key" ON "figure_variant"("figure_id", "audience_slug");
ALTER TABLE "figure_variant" ADD CONSTRAINT "figure_variant_figure_id_fkey" FOREIGN KEY ("figure_id") REFERENCES "figure"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "figure_variant" ADD CONSTRAINT "figure_variant_audience_slug_fkey" FOREIGN KEY ("audience_slug") REFERENCES "audience"("slug") ON DELETE RESTRICT ON UPDATE RESTRICT;
