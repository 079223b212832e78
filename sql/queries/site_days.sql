-- Every day with a report, newest first, with its counts (the site's index and feed).
SELECT r.partition_date, r.language, r.papers, r.failed, r.generated_at,
       coalesce(d.announces, true) AS announces, d.reason,
       (SELECT count(*) FROM filtered_papers f WHERE f.partition_date = r.partition_date) AS kept
FROM daily_report r
LEFT JOIN listing_days d USING (partition_date)
ORDER BY r.partition_date DESC;
