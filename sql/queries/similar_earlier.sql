-- For each of some papers, the most similar papers announced before $partition_date (report:
-- "相似的往期论文"), from one model's vectors.
WITH targets AS (
    SELECT arxiv_id, embedding
    FROM listing_embeddings
    WHERE partition_date = $partition_date AND model = $model AND list_contains($arxiv_ids, arxiv_id)
), earlier AS (
    SELECT arxiv_id, arg_max(embedding, partition_date) AS embedding, min(partition_date) AS first_announced
    FROM listing_embeddings
    WHERE partition_date < $partition_date AND model = $model
    GROUP BY arxiv_id
), scored AS (
    SELECT t.arxiv_id AS paper, e.arxiv_id, e.first_announced,
           array_cosine_similarity(t.embedding, e.embedding) AS similarity,
           row_number() OVER (PARTITION BY t.arxiv_id ORDER BY array_cosine_similarity(t.embedding, e.embedding) DESC,
                              e.arxiv_id) AS rn
    FROM targets t JOIN earlier e ON e.arxiv_id <> t.arxiv_id
)
SELECT s.paper, s.arxiv_id, s.first_announced, round(s.similarity, 3) AS similarity, p.title
FROM scored s JOIN papers p USING (arxiv_id)
WHERE s.rn <= $limit
ORDER BY s.paper, s.similarity DESC, s.arxiv_id;
