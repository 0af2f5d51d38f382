-- The condition or subject an article is about, for schema.org `about` (e.g. "Muscle spasm").
ALTER TABLE article ADD COLUMN topic TEXT;
