-- Vectors already computed for these (arxiv_id, version, text_hash) keys by this model, on any day:
-- a re-run (or a paper listed again) embeds nothing.
SELECT arxiv_id, version, text_hash, any_value(embedding) AS embedding
FROM listing_embeddings
WHERE model = $model AND list_contains($arxiv_ids::VARCHAR[], arxiv_id)
GROUP BY arxiv_id, version, text_hash;
