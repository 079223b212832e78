-- Check: filtered papers of a day without a paper_summaries row (every one must have one, ok or failed).
SELECT f.arxiv_id, f.version
FROM kept_papers f
ANTI JOIN paper_summaries s USING (partition_date, arxiv_id, version)
WHERE f.partition_date = $partition_date
ORDER BY f.rank;
