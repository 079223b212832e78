-- One rendered report per announcement day and reader.
CREATE TABLE IF NOT EXISTS daily_report (
    partition_date DATE        NOT NULL,
    language       VARCHAR     NOT NULL,  -- zh | en
    path           VARCHAR     NOT NULL,  -- $ARXIV_MONITOR_HOME/reports/YYYY-MM-DD.md
    markdown       VARCHAR     NOT NULL,
    papers         INTEGER     NOT NULL,  -- papers with an analysis
    failed         INTEGER     NOT NULL,  -- papers listed under "analysis failed"
    generated_at   TIMESTAMPTZ NOT NULL
);
-- Whose report it is (one per reader and day); rows from before readers are the single reader's, 'default'.
ALTER TABLE daily_report ADD COLUMN IF NOT EXISTS reader VARCHAR DEFAULT 'default';
