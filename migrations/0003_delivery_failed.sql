-- A delivery whose signature verified but whose handling failed (an internal error: the database
-- refused the write, say) is recorded as 'failed' rather than lost. SQLite cannot alter a CHECK:
-- the table is rebuilt with the same columns, rows and indexes.
CREATE TABLE deliveries_new (
  id          INTEGER PRIMARY KEY,
  delivery_id TEXT,                   -- X-Gitea-Delivery
  event       TEXT NOT NULL,
  repo        TEXT,
  repo_key    TEXT,                   -- lower(repo)
  ref         TEXT,
  before_sha  TEXT,
  after_sha   TEXT,
  outcome     TEXT NOT NULL
              CHECK (outcome IN ('queued', 'ok', 'ignored', 'duplicate', 'invalid', 'failed')),
  reason      TEXT,
  job_ids     TEXT,                   -- JSON array of the jobs it queued or joined
  received_at INTEGER NOT NULL
);
INSERT INTO deliveries_new
  (id, delivery_id, event, repo, repo_key, ref, before_sha, after_sha, outcome, reason, job_ids,
   received_at)
SELECT id, delivery_id, event, repo, repo_key, ref, before_sha, after_sha, outcome, reason, job_ids,
       received_at
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_by_delivery_id ON deliveries (delivery_id) WHERE delivery_id IS NOT NULL;
CREATE INDEX deliveries_by_repo_ref_newest ON deliveries (repo_key, ref, id DESC);
CREATE INDEX deliveries_by_received ON deliveries (received_at);
