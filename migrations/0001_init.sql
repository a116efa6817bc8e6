-- Index of templates, their versions and the bundles they point to.
-- Times are milliseconds since the Unix epoch. Digests are `sha256:<64 hex>`.

CREATE TABLE templates (
  name               TEXT PRIMARY KEY,
  repo               TEXT,             -- owner/name as configured; NULL for a template only ingested by hand
  repo_key           TEXT,             -- lower(repo): webhooks match case-insensitively
  ref                TEXT,
  rules              TEXT NOT NULL,    -- JSON {allow, require}
  current_version_id INTEGER REFERENCES versions(id),
  pinned_digest      TEXT,
  pinned_at          INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  removed_at         INTEGER           -- no longer in the manifest; kept for history
);
CREATE INDEX templates_by_repo_ref ON templates (repo_key, ref);

CREATE TABLE bundles (
  digest           TEXT PRIMARY KEY CHECK (digest GLOB 'sha256:*' AND length(digest) = 71),
  size             INTEGER NOT NULL,
  file_count       INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  last_served_at   INTEGER,
  last_verified_at INTEGER
);

CREATE TABLE bundle_files (
  digest TEXT NOT NULL REFERENCES bundles (digest) ON DELETE CASCADE,
  path   TEXT NOT NULL,
  size   INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  mode   INTEGER NOT NULL CHECK (mode IN (420, 493)), -- 0644, 0755
  PRIMARY KEY (digest, path)
) WITHOUT ROWID;

-- One row per (template, commit): a retry updates it, so a commit never has two rows.
-- digest is set only while status = 'ready'; it is not a foreign key so that GC may
-- evict an old bundle and leave its version as history.
CREATE TABLE versions (
  id               INTEGER PRIMARY KEY,
  template         TEXT NOT NULL REFERENCES templates (name),
  commit_sha       TEXT,
  digest           TEXT,
  status           TEXT NOT NULL CHECK (status IN ('ready', 'rejected', 'failed')),
  reason_code      TEXT,
  reason_detail    TEXT,
  source           TEXT NOT NULL,      -- cli | webhook | reconcile | admin
  compressed_bytes INTEGER,
  unpacked_bytes   INTEGER,
  bundle_bytes     INTEGER,
  entry_count      INTEGER,
  file_count       INTEGER,
  skipped_count    INTEGER,
  duration_ms      INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  ready_at         INTEGER,
  CHECK ((status = 'ready') = (digest IS NOT NULL))
);
CREATE UNIQUE INDEX versions_by_template_commit ON versions (template, commit_sha);
CREATE INDEX versions_by_template_newest ON versions (template, id DESC);
CREATE INDEX versions_by_digest ON versions (digest) WHERE digest IS NOT NULL;
