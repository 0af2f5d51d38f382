-- The role the app connects as (docker-compose.yml). It owns nothing: the app grants
-- it its rights after migrating as the owner (src/db/roles.ts). Change the password
-- here and in DATABASE_URL for anything but a local try-out.
CREATE ROLE cms_app LOGIN PASSWORD 'cms_app';
