-- Every day with a report for one reader, newest first, with its counts (their site's index and feed).
SELECT r.partition_date, r.language, r.papers, r.failed, r.generated_at,
       coalesce(d.announces, true) AS announces, d.reason,
       (SELECT count(*) FROM filtered_papers f WHERE f.partition_date = r.partition_date AND f.reader = $reader) AS kept
FROM daily_report r
LEFT JOIN listing_days d USING (partition_date)
WHERE r.reader = $reader
ORDER BY r.partition_date DESC;
