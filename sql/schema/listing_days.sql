-- One row per materialised partition of raw_listings: the calendar's verdict and what was fetched.
CREATE TABLE IF NOT EXISTS listing_days (
    partition_date      DATE        NOT NULL,
    announces           BOOLEAN     NOT NULL,  -- false: weekend or holiday, no listing exists
    reason              VARCHAR     NOT NULL,  -- announcement | weekend | holiday
    window_start        TIMESTAMPTZ,           -- submissions received from (inclusive) ...
    window_end          TIMESTAMPTZ,           -- ... to (exclusive)
    announced_at        TIMESTAMPTZ,           -- 20:00 ET the evening before partition_date
    fetched_at          TIMESTAMPTZ NOT NULL,
    requests            INTEGER     NOT NULL,  -- HTTP requests made (0 when all came from the cache)
    cache_hits          INTEGER     NOT NULL,
    new_total_reported  INTEGER     NOT NULL,  -- opensearch:totalResults of the submittedDate query
    rows_new            INTEGER     NOT NULL,
    rows_cross          INTEGER     NOT NULL,
    rows_replace        INTEGER     NOT NULL,
    rows_replace_cross  INTEGER     NOT NULL,
    complete            BOOLEAN     NOT NULL,  -- false: fetched too early, empty announcement, walk capped
    note                VARCHAR
);
