-- The models (and their vector widths) whose embeddings the history holds. The table exists from
-- the first listing_embeddings write on; before it, this fails and means "none".
SELECT model, array_length(any_value(embedding)) AS width, count(*) AS vectors
FROM listing_embeddings
GROUP BY model
ORDER BY model;
