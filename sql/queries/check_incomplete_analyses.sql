-- Check: analyses stored as ok that are not complete or not clean: the model stopped on its token
-- limit (finish_reason 'length'), a section is missing, or a junk gate failed.
SELECT arxiv_id, version, finish_reason,
       CASE WHEN finish_reason = 'length' THEN 'stopped at the token limit (finish_reason length)'
            WHEN len(coalesce(quality.junk, [])) > 0 THEN 'junk by ' || array_to_string(quality.junk, ', ')
            ELSE 'a section is empty' END AS problem
FROM paper_summaries
WHERE partition_date = $partition_date AND status = 'ok'
  AND (finish_reason = 'length' OR len(coalesce(quality.junk, [])) > 0
       OR coalesce(trim(tldr), '') = '' OR coalesce(trim(summary), '') = ''
       OR coalesce(trim(motivation), '') = '' OR coalesce(trim(contributions), '') = ''
       OR coalesce(trim(method), '') = '' OR coalesce(trim(experiments), '') = '')
ORDER BY arxiv_id, version;
