-- A reproducible sample of the history's vectors (one embedding model, before the given day): the papers a
-- reader did not ask for, as negatives for the learned ranking.
SELECT arxiv_id, embedding
FROM listing_embeddings
WHERE model = $model AND partition_date < $partition_date
ORDER BY hash(arxiv_id, version)
LIMIT $limit;
