-- One reader's digest papers of one week, in digest order.
SELECT rank, arxiv_id, version, announced_on, title, combined_score, why, tldr
FROM weekly_papers WHERE partition_date = $partition_date AND reader = $reader ORDER BY rank;
