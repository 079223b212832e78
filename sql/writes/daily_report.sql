DELETE FROM daily_report WHERE partition_date = $partition_date AND reader = $reader;
INSERT INTO daily_report BY NAME
SELECT $partition_date AS partition_date, * FROM staged_daily_report;
