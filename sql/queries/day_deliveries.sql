-- What was delivered for one day, per channel and reader (report_delivery decides from it what to send).
SELECT * EXCLUDE (partition_date) FROM report_deliveries WHERE partition_date = $partition_date;
