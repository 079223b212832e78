-- The day's papers kept by the filter, in report order.
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
