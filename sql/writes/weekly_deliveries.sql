DELETE FROM weekly_deliveries WHERE partition_date = $partition_date AND reader = $reader;
INSERT INTO weekly_deliveries (partition_date, reader, channel, kind, content_hash, status, attempts, response, sent_at,
                               first_sent_at, checked_at, papers_sent, papers_left_out)
SELECT $partition_date, $reader, channel, kind, content_hash, status, attempts, response, sent_at, first_sent_at,
       checked_at, papers_sent, papers_left_out
FROM staged_weekly_deliveries;
