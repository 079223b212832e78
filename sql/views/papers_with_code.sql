-- One row per (filtered paper, code or model link) found in its abstract, comments or full text.
CREATE OR REPLACE VIEW papers_with_code AS
SELECT t.partition_date, t.arxiv_id, t.version, l.title, l.primary_category,
       link.url, link.kind, link.found_in
FROM (SELECT partition_date, arxiv_id, version, unnest(links) AS link FROM paper_fulltext) t
JOIN kept_papers f USING (partition_date, arxiv_id, version)
JOIN raw_listings l USING (partition_date, arxiv_id, version)
WHERE link.kind IN ('github', 'gitlab', 'huggingface', 'code');
