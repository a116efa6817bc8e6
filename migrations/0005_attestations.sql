-- Signed attestations of ready versions: one DSSE envelope (JSON text) per version, bundle digest
-- and signing key. The digest is part of the key because a retried commit may be rebuilt under
-- other rules into another bundle; the keyid because a rotated key signs the same version again.
CREATE TABLE attestations (
  version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  digest     TEXT NOT NULL CHECK (digest GLOB 'sha256:*' AND length(digest) = 71),
  keyid      TEXT NOT NULL,
  envelope   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (version_id, digest, keyid)
) WITHOUT ROWID;
CREATE INDEX attestations_by_digest ON attestations (digest);
