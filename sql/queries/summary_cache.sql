-- Earlier analyses of some papers (any day): the analysis cache. Successes, and failures that the
-- same model, prompt and text would repeat (invalid or cut-off answers); not passing failures.
SELECT * EXCLUDE (partition_date, rn)
FROM (
    SELECT *, row_number() OVER (PARTITION BY arxiv_id, version, text_hash, prompt_version, model, language
                                 ORDER BY (status = 'ok') DESC, analysed_at DESC) AS rn
    FROM paper_summaries
    WHERE (status = 'ok' OR NOT retryable) AND list_contains($arxiv_ids, arxiv_id)
)
WHERE rn = 1;
