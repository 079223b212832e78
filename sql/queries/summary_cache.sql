-- Earlier successful analyses of some papers (any day): the analysis cache.
SELECT * EXCLUDE (partition_date, rn)
FROM (
    SELECT *, row_number() OVER (PARTITION BY arxiv_id, version, text_hash, prompt_version, model, language
                                 ORDER BY analysed_at DESC) AS rn
    FROM paper_summaries
    WHERE status = 'ok' AND list_contains($arxiv_ids, arxiv_id)
)
WHERE rn = 1;
