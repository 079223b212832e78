DELETE FROM report_deliveries WHERE partition_date = $partition_date AND reader = $reader;
INSERT INTO report_deliveries BY NAME
SELECT $partition_date AS partition_date, * FROM staged_report_deliveries;
