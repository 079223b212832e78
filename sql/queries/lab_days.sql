-- Every day with reports, newest first: how many papers any reader kept, and for how many readers (the lab's index
-- and feed).
SELECT r.partition_date, count(DISTINCT r.reader) AS readers, max(r.generated_at) AS generated_at,
       coalesce(any_value(d.announces), true) AS announces, any_value(d.reason) AS reason,
       (SELECT count(*) FROM kept_papers k WHERE k.partition_date = r.partition_date) AS kept,
       sum(r.papers) AS papers, sum(r.failed) AS failed
FROM daily_report r
LEFT JOIN listing_days d USING (partition_date)
GROUP BY r.partition_date
ORDER BY r.partition_date DESC;
