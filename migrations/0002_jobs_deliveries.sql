-- Durable refresh jobs and the record of webhook deliveries.

-- A job refreshes one template. At most one queued and one running job per template:
-- a webhook storm coalesces into the queued one. Finished jobs stay as history.
CREATE TABLE jobs (
  id              INTEGER PRIMARY KEY,
  template        TEXT NOT NULL REFERENCES templates (name),
  state           TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  trigger         TEXT NOT NULL,      -- webhook | reconcile | admin | startup
  delivery_id     TEXT,               -- the delivery that created the job, when a webhook did
  force           INTEGER NOT NULL DEFAULT 0, -- re-fetch even when the head already has a version
  attempts        INTEGER NOT NULL DEFAULT 0,
  run_after       INTEGER NOT NULL,
  last_error_code TEXT,
  last_error      TEXT,
  outcome         TEXT,               -- JSON summary of the last run
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER
);
CREATE UNIQUE INDEX jobs_one_queued_per_template ON jobs (template) WHERE state = 'queued';
CREATE UNIQUE INDEX jobs_one_running_per_template ON jobs (template) WHERE state = 'running';
CREATE INDEX jobs_by_queued_run_after ON jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX jobs_by_template_newest ON jobs (template, id DESC);

-- Every webhook delivery whose signature verified, whatever became of it.
CREATE TABLE deliveries (
  id          INTEGER PRIMARY KEY,
  delivery_id TEXT,                   -- X-Gitea-Delivery
  event       TEXT NOT NULL,
  repo        TEXT,
  repo_key    TEXT,                   -- lower(repo)
  ref         TEXT,
  before_sha  TEXT,
  after_sha   TEXT,
  outcome     TEXT NOT NULL CHECK (outcome IN ('queued', 'ok', 'ignored', 'duplicate', 'invalid')),
  reason      TEXT,
  job_ids     TEXT,                   -- JSON array of the jobs it queued or joined
  received_at INTEGER NOT NULL
);
CREATE INDEX deliveries_by_delivery_id ON deliveries (delivery_id) WHERE delivery_id IS NOT NULL;
CREATE INDEX deliveries_by_repo_ref_newest ON deliveries (repo_key, ref, id DESC);
CREATE INDEX deliveries_by_received ON deliveries (received_at);

-- Provenance: which job and delivery produced a version.
ALTER TABLE versions ADD COLUMN job_id INTEGER;
ALTER TABLE versions ADD COLUMN delivery_id TEXT;
