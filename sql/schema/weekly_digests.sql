-- One row per week with a digest (weekly_digest), partition_date the week's Monday.
CREATE TABLE IF NOT EXISTS weekly_digests (
    partition_date  DATE        NOT NULL,  -- the week's Monday
    days_reported   INTEGER     NOT NULL,  -- announcement days of the week with a daily report
    listings        INTEGER     NOT NULL,  -- first-version listings of the week (new + cross)
    kept            INTEGER     NOT NULL,  -- distinct papers kept over the week
    shown           INTEGER     NOT NULL,  -- of those, in the digest (the best by the daily ranking)
    language        VARCHAR     NOT NULL,
    generated_at    TIMESTAMPTZ NOT NULL
);
-- Whose digest it is (one per week and reader); rows from before readers are the single reader's.
ALTER TABLE weekly_digests ADD COLUMN IF NOT EXISTS reader VARCHAR DEFAULT 'default';
