-- Replace one partition's listing_days row (run inside the same transaction as raw_listings).
DELETE FROM listing_days WHERE partition_date = $partition_date;
INSERT INTO listing_days (partition_date, announces, reason, window_start, window_end, announced_at, fetched_at,
                          requests, cache_hits, new_total_reported, rows_new, rows_cross, rows_replace,
                          rows_replace_cross, complete, note)
SELECT $partition_date, announces, reason, window_start, window_end, announced_at, fetched_at,
       requests, cache_hits, new_total_reported, rows_new, rows_cross, rows_replace,
       rows_replace_cross, complete, note
FROM staged_listing_days;
