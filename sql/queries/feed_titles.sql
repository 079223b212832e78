-- The papers of one reader's newest $days reported days, newest first: the Atom feed's entry summaries.
SELECT f.partition_date, f.arxiv_id, l.title
FROM filtered_papers f
JOIN raw_listings l USING (partition_date, arxiv_id, version)
WHERE f.reader = $reader
  AND f.partition_date IN (SELECT partition_date FROM daily_report WHERE reader = $reader
                          ORDER BY partition_date DESC LIMIT $days)
ORDER BY f.partition_date DESC, f.rank;
