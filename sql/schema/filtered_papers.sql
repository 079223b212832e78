-- The papers each reader kept on the day, in their report order.
CREATE TABLE IF NOT EXISTS filtered_papers (
    partition_date   DATE      NOT NULL,
    arxiv_id         VARCHAR   NOT NULL,
    version          INTEGER   NOT NULL,
    announce_type    VARCHAR   NOT NULL,
    is_update        BOOLEAN   NOT NULL,  -- v2+ / replace: shown as an update in the report
    title            VARCHAR   NOT NULL,
    primary_category VARCHAR,
    matched_keywords VARCHAR[] NOT NULL,  -- configured keywords (as written) that matched
    matched_authors  VARCHAR[] NOT NULL,  -- watched authors among the paper's authors
    matched_in       VARCHAR[] NOT NULL,  -- title / abstract / authors
    matches          JSON      NOT NULL,  -- [{rule, kind, field, text}] every match with the matched text
    score            INTEGER   NOT NULL,  -- 100 x watched authors + 10 x keywords in title + distinct keywords
    rank             INTEGER   NOT NULL   -- 1 = first in the report
);
-- Added with the interest profile (assets/relevance.py); older files get them here. NULL semantic
-- columns: no profile was configured that day.
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS semantic_score DOUBLE;    -- best cosine to a profile item
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS closest_interest VARCHAR; -- that item (interest text, example, BibTeX title)
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS kept_by VARCHAR[];        -- keyword | author | semantic | learned
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS combined_score DOUBLE;    -- score + semantic_weight x semantic_score: report order
-- Added with the reader's loop (assets/learning.py). NULL: no calibration (history too small) / no learned
-- ranking yet (too few labels).
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS calibrated_score DOUBLE; -- best z-score over the profile items
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS learned_score DOUBLE;    -- learned probability that it is wanted
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS closest_liked VARCHAR;   -- title of the nearest liked paper
-- Where the paper was accepted or published, read from its comment / journal-ref (arxiv_domain/venue.py).
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS venue VARCHAR;          -- "ICST 2025", or the venue's name as written
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS venue_year INTEGER;
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS venue_status VARCHAR;   -- published | accepted | named
-- A new version against the one already stored (arxiv_domain/revision.py); NULL: v1, or no earlier version stored.
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS revision_of INTEGER;    -- the stored version compared with
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS revision_kind VARCHAR;  -- minor | major
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS revision JSON;          -- what changed (Revision.as_row)
-- Whose kept set the row is in (resources/reader.py): one row per (reader, paper) of the day. Rows from before
-- readers belong to the single reader, 'default'.
ALTER TABLE filtered_papers ADD COLUMN IF NOT EXISTS reader VARCHAR DEFAULT 'default';
