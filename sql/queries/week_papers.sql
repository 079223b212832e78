-- The papers one reader kept on the announcement days of one week, each once (its best-scored listing), best first (the
-- digest puts them in report order: ranking/keywords.py, report_order).
SELECT f.arxiv_id, arg_max(f.version, f.combined_score) AS version,
       arg_max(f.partition_date, f.combined_score) AS announced_on, arg_max(f.title, f.combined_score) AS title,
       max(f.combined_score) AS combined_score, arg_max(f.matched_keywords, f.combined_score) AS matched_keywords,
       arg_max(f.matched_authors, f.combined_score) AS matched_authors,
       arg_max(f.semantic_score, f.combined_score) AS semantic_score,
       arg_max(f.closest_interest, f.combined_score) AS closest_interest,
       arg_max(f.learned_score, f.combined_score) AS learned_score,
       arg_max(f.closest_liked, f.combined_score) AS closest_liked,
       arg_max(f.kept_by, f.combined_score) AS kept_by,
       arg_max(f.is_update, f.combined_score) AS is_update,
       arg_max(s.tldr, f.combined_score) FILTER (WHERE s.status = 'ok') AS tldr
FROM filtered_papers f
LEFT JOIN paper_summaries s
       ON s.partition_date = f.partition_date AND s.arxiv_id = f.arxiv_id AND s.version = f.version
      AND s.language = $language
WHERE f.partition_date >= $start AND f.partition_date < $end AND f.reader = $reader
GROUP BY f.arxiv_id
ORDER BY combined_score DESC NULLS LAST, f.arxiv_id;
