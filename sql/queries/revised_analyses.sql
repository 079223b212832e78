-- The stored ok analyses of some papers in one language, every version (a minor revision re-uses its
-- predecessor's).
SELECT * EXCLUDE (partition_date)
FROM paper_summaries
WHERE status = 'ok' AND language = $language AND list_contains($arxiv_ids, arxiv_id);
