-- What the site's search covers: every reported paper of the history, its title, authors, matched
-- and analysis keywords, and the TL;DR of an analysis that passed (never a rejected or failed one).
SELECT f.partition_date, f.arxiv_id, f.version, l.title, l.authors, f.matched_keywords,
       CASE WHEN s.status = 'ok' THEN s.keywords END AS keywords,
       CASE WHEN s.status = 'ok' THEN s.tldr END AS tldr
FROM filtered_papers f
JOIN raw_listings l USING (partition_date, arxiv_id, version)
LEFT JOIN paper_summaries s USING (partition_date, arxiv_id, version)
WHERE f.partition_date IN (SELECT partition_date FROM daily_report)
ORDER BY f.partition_date DESC, f.rank;
