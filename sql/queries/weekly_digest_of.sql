-- One reader's digest row of one week (none: weekly_digest was not materialised for it).
SELECT * EXCLUDE (partition_date, reader) FROM weekly_digests WHERE partition_date = $partition_date AND reader = $reader;
