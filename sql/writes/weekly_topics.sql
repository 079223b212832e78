DELETE FROM weekly_topics WHERE partition_date = $partition_date;
INSERT INTO weekly_topics (partition_date, term, papers, share, previous_share, growth)
SELECT $partition_date, term, papers, share, previous_share, growth
FROM staged_weekly_topics;
