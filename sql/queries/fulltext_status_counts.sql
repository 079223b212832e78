-- Filtered papers of one day by full-text status.
SELECT status, count(*) AS papers
FROM paper_fulltext
WHERE partition_date = $partition_date
GROUP BY status
ORDER BY status;
