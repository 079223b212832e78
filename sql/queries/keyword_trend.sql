-- saved: Listings whose title or abstract mentions a keyword (any case), per ISO week, and how many the filter kept.
-- param keyword: text
-- param start: date = 2000-01-01
-- param end: date = 2999-12-31
SELECT date_trunc('week', l.partition_date)::DATE                              AS week,
       count(DISTINCT l.arxiv_id)                                              AS papers,
       count(DISTINCT l.arxiv_id) FILTER (l.announce_type IN ('new', 'cross')) AS first_versions,
       count(DISTINCT f.arxiv_id)                                              AS kept
FROM raw_listings l
LEFT JOIN filtered_papers f
       ON f.partition_date = l.partition_date AND f.arxiv_id = l.arxiv_id AND f.version = l.version
WHERE l.partition_date BETWEEN $start::DATE AND $end::DATE
  AND (contains(lower(l.title), lower($keyword)) OR contains(lower(l.abstract), lower($keyword)))
GROUP BY week
ORDER BY week;
