-- saved: Days and channels whose digest was not delivered (failed sends), newest first.
-- param limit: int = 50
SELECT partition_date, channel, kind, attempts, response, checked_at
FROM report_deliveries
WHERE status = 'failed'
ORDER BY partition_date DESC, channel
LIMIT $limit;
