-- The papers any reader kept on one day, each once, with who kept it, their listing metadata and full text (when
-- it was read).
SELECT f.arxiv_id, f.version, f.readers, f.revision_of, f.revision_kind, l.title, l.authors, l.categories, l.abstract, l.comment,
       t.status AS fulltext_status, t.sections
FROM kept_papers f
JOIN raw_listings l USING (partition_date, arxiv_id, version)
LEFT JOIN paper_fulltext t USING (partition_date, arxiv_id, version)
WHERE f.partition_date = $partition_date
ORDER BY f.rank;
