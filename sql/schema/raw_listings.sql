-- One row per (arxiv_id, version) announced on partition_date (arXiv announcement day, ET).
CREATE TABLE IF NOT EXISTS raw_listings (
    partition_date   DATE        NOT NULL,
    arxiv_id         VARCHAR     NOT NULL,  -- '2512.20276' or old-style 'astro-ph/0601001'
    version          INTEGER     NOT NULL,
    announce_type    VARCHAR     NOT NULL,  -- new | cross | replace | replace-cross
    title            VARCHAR     NOT NULL,
    authors          VARCHAR[]   NOT NULL,
    abstract         VARCHAR     NOT NULL,
    primary_category VARCHAR,
    categories       VARCHAR[]   NOT NULL,
    published        TIMESTAMPTZ,           -- v1 submission
    updated          TIMESTAMPTZ,           -- this version's submission
    comment          VARCHAR,
    journal_ref      VARCHAR,
    doi              VARCHAR,
    abs_url          VARCHAR,
    pdf_url          VARCHAR,
    fetched_at       TIMESTAMPTZ NOT NULL
);
