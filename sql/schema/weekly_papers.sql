-- One row per paper of a week's digest (weekly_digest), in digest order; partition_date is the week's
-- Monday (weeks run Monday to Sunday, America/New_York).
CREATE TABLE IF NOT EXISTS weekly_papers (
    partition_date   DATE    NOT NULL,  -- the week's Monday
    rank             INTEGER NOT NULL,  -- 1 = first in the digest
    arxiv_id         VARCHAR NOT NULL,
    version          INTEGER NOT NULL,
    announced_on     DATE    NOT NULL,  -- the announcement day it was kept on
    title            VARCHAR NOT NULL,
    combined_score   DOUBLE,            -- the daily ranking's score (assets/relevance.py)
    why              VARCHAR,           -- why it was kept, as the daily report says it
    tldr             VARCHAR            -- its analysis' one-line summary, when it has one
);
-- Whose digest the paper is in; rows from before readers are the single reader's.
ALTER TABLE weekly_papers ADD COLUMN IF NOT EXISTS reader VARCHAR DEFAULT 'default';
