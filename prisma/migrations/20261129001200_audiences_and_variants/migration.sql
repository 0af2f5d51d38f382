-- Reader audiences (managed by admins) and per-audience versions of a revision's text.
-- The default audience reads the article as written; other audiences read a variant
-- where one exists and the professional text (marked as such) where none does.
CREATE TABLE audience (
  id UUID PRIMARY KEY,
  -- Used in addresses (?for=<slug>) and in hashed content: never changed once created.
  slug TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{1,40}$'),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  -- schema.org MedicalAudienceType, e.g. Clinician or Patient.
  schema_audience_type TEXT NOT NULL,
  -- Flesch–Kincaid grade above which a variant for this audience is flagged (null: never).
  max_grade DOUBLE PRECISION,
  is_default BOOLEAN NOT NULL DEFAULT false,
  position INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
-- Exactly one audience reads the article as written.
CREATE UNIQUE INDEX audience_one_default ON audience (is_default) WHERE is_default;

-- A version of the summary (section_key NULL) or of one section for one audience.
-- Part of the revision: immutable, covered by its content hash.
CREATE TABLE content_variant (
  id UUID PRIMARY KEY,
  revision_id UUID NOT NULL REFERENCES revision(id) ON DELETE CASCADE,
  audience_slug TEXT NOT NULL REFERENCES audience(slug) ON UPDATE RESTRICT ON DELETE RESTRICT,
  section_key TEXT,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX content_variant_one_per_part ON content_variant (revision_id, audience_slug, COALESCE(section_key, ''));
CREATE INDEX content_variant_revision_idx ON content_variant (revision_id);

INSERT INTO audience (id, slug, name, description, schema_audience_type, max_grade, is_default, position) VALUES
  ('8e0b6a52-7a4c-4c1e-9a55-1d1f3c2a0001', 'professionals', 'Healthcare professional', 'The article as written for clinicians, pharmacists and other health professionals.', 'Clinician', NULL, true, 1),
  ('8e0b6a52-7a4c-4c1e-9a55-1d1f3c2a0002', 'patients', 'Patient or caregiver', 'Plain language for people living with the condition and those who care for them.', 'Patient', 8, false, 2);

-- A review comment may be about one audience's version of a section (or of the summary).
ALTER TABLE comment ADD COLUMN audience_slug TEXT;
