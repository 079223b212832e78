-- Rows per announce type for one announcement day.
SELECT announce_type, count(*) AS papers
FROM raw_listings
WHERE partition_date = $partition_date
GROUP BY announce_type
ORDER BY announce_type;
