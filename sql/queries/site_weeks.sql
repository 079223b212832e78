-- Every week with a digest of one reader, newest first, with its counts and top rising terms (the site's weeks and feed).
SELECT d.partition_date, d.days_reported, d.listings, d.kept, d.shown, d.generated_at,
       (SELECT list(t.term ORDER BY t.growth DESC, t.term)[1:5] FROM weekly_topics t
        WHERE t.partition_date = d.partition_date) AS rising
FROM weekly_digests d
WHERE d.reader = $reader
ORDER BY d.partition_date DESC;
