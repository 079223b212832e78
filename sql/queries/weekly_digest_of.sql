-- One week's digest row (none: weekly_digest was not materialised for it).
SELECT * EXCLUDE (partition_date) FROM weekly_digests WHERE partition_date = $partition_date;
