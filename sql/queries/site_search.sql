-- What one reader's site search covers: every paper of their reports in the history, its title, authors, matched
-- and analysis keywords, and the TL;DR of an analysis that passed (never a rejected or failed one).
SELECT f.partition_date, f.arxiv_id, f.version, l.title, l.authors, f.matched_keywords,
       CASE WHEN s.status = 'ok' THEN s.keywords END AS keywords,
       CASE WHEN s.status = 'ok' THEN s.tldr END AS tldr
FROM filtered_papers f
JOIN raw_listings l USING (partition_date, arxiv_id, version)
LEFT JOIN paper_summaries s
       ON s.partition_date = f.partition_date AND s.arxiv_id = f.arxiv_id AND s.version = f.version
      AND s.language = $language
WHERE f.reader = $reader AND f.partition_date IN (SELECT partition_date FROM daily_report WHERE reader = $reader)
ORDER BY f.partition_date DESC, f.rank;
