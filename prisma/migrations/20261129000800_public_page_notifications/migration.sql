-- Every audit event tells listening app processes, at commit, which article (if any)
-- changed, so each process replaces its cached public pages (src/public/invalidation.ts).
-- NOTIFY is transactional: a rolled-back change notifies nobody.
CREATE FUNCTION audit_event_notify_public_pages() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('public_pages', json_build_object('action', NEW.action, 'articleId', NEW.article_id, 'slug', NEW.payload->>'slug')::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER audit_event_notify_public_pages
AFTER INSERT ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_notify_public_pages();

-- Keyset pages of the public index and the staff dashboard at 10,000+ articles.
CREATE INDEX revision_article_state_number_idx ON revision (article_id, state, number DESC);
CREATE INDEX article_created_at_id_idx ON article (created_at, id);
