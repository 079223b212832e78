-- The papers any reader kept on a day, each once, with who kept it: what the shared stages (full text,
-- analyses) work on.
CREATE OR REPLACE VIEW kept_papers AS
SELECT partition_date, arxiv_id, version, min(rank) AS rank, any_value(revision_of) AS revision_of,
       any_value(revision_kind) AS revision_kind, list(DISTINCT reader ORDER BY reader) AS readers
FROM filtered_papers
GROUP BY partition_date, arxiv_id, version;
