-- The filtered papers of one day with their listing metadata and full text (when it was read).
SELECT f.arxiv_id, f.version, f.revision_of, f.revision_kind, l.title, l.authors, l.categories, l.abstract, l.comment,
       t.status AS fulltext_status, t.sections
FROM filtered_papers f
JOIN raw_listings l USING (partition_date, arxiv_id, version)
LEFT JOIN paper_fulltext t USING (partition_date, arxiv_id, version)
WHERE f.partition_date = $partition_date
ORDER BY f.rank;
