-- Audit records name the project by its ref (refs never change) and keep the HTTP status.
DROP INDEX idx_audit_log_project_at;
ALTER TABLE audit_log DROP COLUMN project_id;
ALTER TABLE audit_log ADD COLUMN project_ref TEXT;
ALTER TABLE audit_log ADD COLUMN status INTEGER;
CREATE INDEX idx_audit_log_project_ref_id ON audit_log(project_ref, id);
