-- What was last delivered per channel of one reader's digest of one week.
SELECT * EXCLUDE (partition_date, reader) FROM weekly_deliveries WHERE partition_date = $partition_date AND reader = $reader;
