-- One row per (reader, kept paper, rule that kept it): a configured keyword or a watched author.
CREATE OR REPLACE VIEW matches AS
SELECT partition_date, arxiv_id, version, 'keyword' AS kind, unnest(matched_keywords) AS rule,
       title, primary_category, announce_type, score, rank, reader
FROM filtered_papers
UNION ALL
SELECT partition_date, arxiv_id, version, 'author' AS kind, unnest(matched_authors) AS rule,
       title, primary_category, announce_type, score, rank, reader
FROM filtered_papers;
