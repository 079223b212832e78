-- The calendar's verdict and counts for one announcement day.
SELECT * FROM listing_days WHERE partition_date = $partition_date;
