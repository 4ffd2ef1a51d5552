-- In-doubt commits (issue 16). When the connection breaks during COMMIT, Fiscus asks the database whether the command
-- was kept before it answers. A command with an idempotency key or an external_id is asked about by its key; one
-- without leaves this marker, a random uuid, in its own transaction. Claiming the same marker again from a fresh
-- connection waits for the original transaction if it is still finishing, then finds the marker (kept) or not
-- (rolled back, so the command can be run again). Markers are not money and are swept by housekeeping after a day.
CREATE TABLE commit_markers (
    marker uuid PRIMARY KEY,
    created_at timestamptz NOT NULL
);
CREATE INDEX commit_markers_created_idx ON commit_markers (created_at);
