-- One day's listing vectors from one model (input of filtered_papers' semantic rule).
SELECT arxiv_id, version, embedding
FROM listing_embeddings
WHERE partition_date = $partition_date AND model = $model
ORDER BY arxiv_id, version;
