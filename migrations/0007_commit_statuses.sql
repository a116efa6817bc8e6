-- Commit statuses waiting to be posted to Gitea (POST /repos/{owner}/{repo}/statuses/{sha}), and
-- the outcome of each post. A row is written in the same process step as the verdict it reports,
-- so a restart loses none: the poster takes up every 'queued' row again.
CREATE TABLE commit_statuses (
  id           INTEGER PRIMARY KEY,
  template     TEXT NOT NULL,
  repo         TEXT NOT NULL,             -- owner/name as configured
  commit_sha   TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('pending', 'success', 'failure', 'error')),
  context      TEXT NOT NULL,             -- asset-cache/<template>
  description  TEXT NOT NULL,
  target_url   TEXT,
  result       TEXT NOT NULL DEFAULT 'queued'
               CHECK (result IN ('queued', 'posted', 'failed', 'superseded')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_at      INTEGER NOT NULL,          -- not before this time (backoff)
  http_status  INTEGER,                   -- Gitea's answer to the last attempt
  last_error   TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX commit_statuses_by_due ON commit_statuses (next_at) WHERE result = 'queued';
CREATE INDEX commit_statuses_by_template_commit_newest
  ON commit_statuses (template, commit_sha, id DESC);
CREATE INDEX commit_statuses_by_updated ON commit_statuses (updated_at) WHERE result <> 'queued';
