-- The latest announcement day whose listing is stored (none: nothing stored yet).
SELECT max(partition_date) AS day
FROM raw_listings;
