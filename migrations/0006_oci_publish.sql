-- Publishing to an OCI registry (ASSET_CACHE_OCI_PUBLISH): per ready version, whether its image is
-- at the registry. publish_status is NULL until the publisher first looks at the version (and
-- stays NULL with publishing off); then 'pending', 'published' or 'failed', for the target named
-- in publish_target (`registry/namespace`: a status for another target counts as never tried).
-- publish_error is a stable code (never a registry's text); publish_next_at is when a failed
-- version is tried again.
ALTER TABLE versions ADD COLUMN publish_target TEXT;
ALTER TABLE versions ADD COLUMN publish_status TEXT
  CHECK (publish_status IN ('pending', 'published', 'failed'));
ALTER TABLE versions ADD COLUMN publish_error TEXT;
ALTER TABLE versions ADD COLUMN publish_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN publish_next_at INTEGER;
ALTER TABLE versions ADD COLUMN published_at INTEGER;

-- What each tag points to at a target, as last pushed: a tag whose wanted digest differs is
-- pushed again (a pin, an unpin, a new current version, a rollback).
CREATE TABLE published_tags (
  target     TEXT NOT NULL,
  template   TEXT NOT NULL,
  tag        TEXT NOT NULL,
  digest     TEXT NOT NULL,
  pushed_at  INTEGER NOT NULL,
  PRIMARY KEY (target, template, tag)
) WITHOUT ROWID;
