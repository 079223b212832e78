-- The papers any reader kept on one day, each once, with what the full-text stage needs from their listing.
SELECT f.arxiv_id, f.version, l.abstract, l.comment, l.pdf_url
FROM kept_papers f
JOIN raw_listings l USING (partition_date, arxiv_id, version)
WHERE f.partition_date = $partition_date
ORDER BY f.rank;
