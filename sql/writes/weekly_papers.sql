DELETE FROM weekly_papers WHERE partition_date = $partition_date AND reader = $reader;
INSERT INTO weekly_papers (partition_date, reader, rank, arxiv_id, version, announced_on, title, combined_score, why,
                           tldr)
SELECT $partition_date, $reader, rank, arxiv_id, version, announced_on, title, combined_score, why, tldr
FROM staged_weekly_papers;
