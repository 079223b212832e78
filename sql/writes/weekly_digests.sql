DELETE FROM weekly_digests WHERE partition_date = $partition_date AND reader = $reader;
INSERT INTO weekly_digests (partition_date, reader, days_reported, listings, kept, shown, language, generated_at)
SELECT $partition_date, $reader, days_reported, listings, kept, shown, language, generated_at
FROM staged_weekly_digests;
