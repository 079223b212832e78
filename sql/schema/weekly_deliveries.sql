-- As report_deliveries, for the weekly digest: one row per (week, channel), partition_date the week's Monday.
CREATE TABLE IF NOT EXISTS weekly_deliveries (
    partition_date  DATE        NOT NULL,
    channel         VARCHAR     NOT NULL,
    kind            VARCHAR     NOT NULL,
    content_hash    VARCHAR     NOT NULL,
    status          VARCHAR     NOT NULL,
    attempts        INTEGER     NOT NULL,
    response        VARCHAR,
    sent_at         TIMESTAMPTZ,
    first_sent_at   TIMESTAMPTZ,
    checked_at      TIMESTAMPTZ NOT NULL,
    papers_sent     INTEGER     NOT NULL,
    papers_left_out INTEGER     NOT NULL
);
-- Whose digest went to the channel.
ALTER TABLE weekly_deliveries ADD COLUMN IF NOT EXISTS reader VARCHAR DEFAULT 'default';
