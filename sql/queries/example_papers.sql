-- Interest examples given by arXiv id: their title and abstract from the history (latest version).
SELECT arxiv_id, title, abstract
FROM papers
WHERE list_contains($arxiv_ids::VARCHAR[], arxiv_id);
