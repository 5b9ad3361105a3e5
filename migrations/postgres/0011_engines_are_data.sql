-- Engine names are data, not schema: the `Engine` type validates them where they enter (request
-- bodies and paths), so adding an engine needs no migration. NOT NULL stays; the other CHECKs
-- (port, status, visibility) stay. The names are the ones PostgreSQL gave the CHECKs of 0001 and 0008.
ALTER TABLE database_connections DROP CONSTRAINT IF EXISTS database_connections_database_type_check;
ALTER TABLE snippets DROP CONSTRAINT IF EXISTS snippets_engine_check;
