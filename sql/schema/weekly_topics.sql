-- Terms of the week's listings whose share grew against the four weeks before (weekly_digest): one row per
-- rising term of a week.
CREATE TABLE IF NOT EXISTS weekly_topics (
    partition_date  DATE    NOT NULL,  -- the week's Monday
    term            VARCHAR NOT NULL,
    papers          INTEGER NOT NULL,  -- listings of the week whose title or abstract has the term
    share           DOUBLE  NOT NULL,  -- of the week's listings
    previous_share  DOUBLE  NOT NULL,  -- mean share over the previous four weeks (0: unseen)
    growth          DOUBLE  NOT NULL   -- (share + 1/N) / (previous_share + 1/N), N the week's listings
);
