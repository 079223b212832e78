-- For each of some papers of $partition_date, the $limit most similar papers first announced before
-- that day (report: "相似的往期论文"), compared within the model that embedded the day.
WITH targets AS (
    SELECT arxiv_id, model, embedding
    FROM listing_embeddings
    WHERE partition_date = $partition_date AND list_contains($arxiv_ids::VARCHAR[], arxiv_id)
), earlier AS (
    SELECT arxiv_id, model, arg_max(embedding, partition_date) AS embedding
    FROM listing_embeddings
    WHERE partition_date < $partition_date
    GROUP BY arxiv_id, model
), scored AS (
    SELECT t.arxiv_id AS paper, e.arxiv_id, array_cosine_similarity(t.embedding, e.embedding) AS similarity
    FROM targets t JOIN earlier e ON e.model = t.model AND e.arxiv_id <> t.arxiv_id
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY paper ORDER BY similarity DESC, arxiv_id) AS rn FROM scored
)
SELECT r.paper, r.arxiv_id, p.first_announced, round(r.similarity::DOUBLE, 3) AS similarity, p.title
FROM ranked r JOIN papers p USING (arxiv_id)
WHERE r.rn <= $limit AND p.first_announced < $partition_date
ORDER BY r.paper, r.similarity DESC, r.arxiv_id;
