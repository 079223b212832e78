-- What was last delivered per channel for one week's digest.
SELECT * EXCLUDE (partition_date) FROM weekly_deliveries WHERE partition_date = $partition_date;
