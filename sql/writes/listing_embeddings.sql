-- The table takes its vector width from the first staged batch (an Arrow fixed-size list becomes
-- DuckDB's FLOAT[n] array): the width is the configured model's, which SQL text cannot know.
-- A later model of another width is refused by the asset before this runs (stored_embedding_models).
CREATE TABLE IF NOT EXISTS listing_embeddings AS
SELECT CAST(NULL AS DATE) AS partition_date, arxiv_id, version, text_hash, model, embedding, cached, embedded_at
FROM staged_listing_embeddings
LIMIT 0;
DELETE FROM listing_embeddings WHERE partition_date = $partition_date;
INSERT INTO listing_embeddings (partition_date, arxiv_id, version, text_hash, model, embedding, cached, embedded_at)
SELECT $partition_date, arxiv_id, version, text_hash, model, embedding, cached, embedded_at
FROM staged_listing_embeddings;
