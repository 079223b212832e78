-- One rendered report per announcement day.
CREATE TABLE IF NOT EXISTS daily_report (
    partition_date DATE        NOT NULL,
    language       VARCHAR     NOT NULL,  -- zh | en
    path           VARCHAR     NOT NULL,  -- $ARXIV_MONITOR_HOME/reports/YYYY-MM-DD.md
    markdown       VARCHAR     NOT NULL,
    papers         INTEGER     NOT NULL,  -- papers with an analysis
    failed         INTEGER     NOT NULL,  -- papers listed under "analysis failed"
    generated_at   TIMESTAMPTZ NOT NULL
);
