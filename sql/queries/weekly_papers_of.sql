-- One week's digest papers, in digest order.
SELECT rank, arxiv_id, version, announced_on, title, combined_score, why, tldr
FROM weekly_papers WHERE partition_date = $partition_date ORDER BY rank;
