-- What a reader said about a paper, one row per signal, appended and never rewritten: no asset writes
-- it, so re-materialising a day leaves it as it was. The state is the `feedback_state` view.
CREATE SEQUENCE IF NOT EXISTS feedback_seq;
CREATE TABLE IF NOT EXISTS feedback (
    seq       BIGINT      NOT NULL DEFAULT nextval('feedback_seq'),  -- order of the signals
    profile   VARCHAR     NOT NULL,  -- [relevance].profile: whose reading this is
    arxiv_id  VARCHAR     NOT NULL,  -- the paper (any version)
    signal    VARCHAR     NOT NULL,  -- up | down | unrate | save | unsave | read | clear (all of the above)
    source    VARCHAR     NOT NULL,  -- cli | site | email
    noted_at  TIMESTAMPTZ NOT NULL
);
