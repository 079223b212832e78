-- What was delivered of one reader's digest of one day, per channel (report_delivery decides from it what to send).
SELECT * EXCLUDE (partition_date, reader) FROM report_deliveries WHERE partition_date = $partition_date AND reader = $reader;
