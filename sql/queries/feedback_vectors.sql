-- The stored vector (latest version, one embedding model) of every paper a profile rated.
SELECT s.arxiv_id, s.rating, p.title, arg_max(e.embedding, e.version) AS embedding
FROM feedback_state s
JOIN papers p USING (arxiv_id)
JOIN listing_embeddings e ON e.arxiv_id = s.arxiv_id AND e.model = $model
WHERE s.profile = $profile AND s.rating IS NOT NULL
GROUP BY s.arxiv_id, s.rating, p.title
ORDER BY s.arxiv_id;
