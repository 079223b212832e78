-- Check: analyses stored as ok that are not complete: the model stopped on its token limit
-- (finish_reason 'length') or a section is missing.
SELECT arxiv_id, version, finish_reason,
       CASE WHEN finish_reason = 'length' THEN 'stopped at the token limit (finish_reason length)'
            ELSE 'a section is empty' END AS problem
FROM paper_summaries
WHERE partition_date = $partition_date AND status = 'ok'
  AND (finish_reason = 'length'
       OR coalesce(trim(tldr), '') = '' OR coalesce(trim(summary), '') = ''
       OR coalesce(trim(motivation), '') = '' OR coalesce(trim(contributions), '') = ''
       OR coalesce(trim(method), '') = '' OR coalesce(trim(experiments), '') = '')
ORDER BY arxiv_id, version;
