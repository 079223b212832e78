-- The papers any reader kept on one day, each once, with who kept them and the TL;DR of an analysis in the lab's
-- language that passed: the lab's page of the day. Those kept by more readers first.
SELECT k.arxiv_id, k.version, k.readers, l.title, l.primary_category, s.tldr
FROM kept_papers k
JOIN raw_listings l USING (partition_date, arxiv_id, version)
LEFT JOIN paper_summaries s
       ON s.partition_date = k.partition_date AND s.arxiv_id = k.arxiv_id AND s.version = k.version
      AND s.language = $language AND s.status = 'ok'
WHERE k.partition_date = $partition_date
ORDER BY len(k.readers) DESC, k.rank, k.arxiv_id;
