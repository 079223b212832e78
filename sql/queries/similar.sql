-- saved: The papers of the whole history most similar to one paper (cosine of title + abstract embeddings).
-- param arxiv_id: text
-- param limit: int = 10
WITH target AS (
    SELECT model, embedding
    FROM listing_embeddings
    WHERE arxiv_id = $arxiv_id
    ORDER BY version DESC, partition_date DESC
    LIMIT 1
), scored AS (
    SELECT e.arxiv_id, max(array_cosine_similarity(e.embedding, t.embedding)) AS similarity
    FROM listing_embeddings e JOIN target t ON e.model = t.model
    WHERE e.arxiv_id <> $arxiv_id
    GROUP BY e.arxiv_id
)
SELECT round(s.similarity::DOUBLE, 3) AS similarity, s.arxiv_id, p.first_announced, p.title
FROM scored s JOIN papers p USING (arxiv_id)
ORDER BY s.similarity DESC, s.arxiv_id
LIMIT $limit;
