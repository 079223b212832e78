-- saved: Authors with the most papers whose title or abstract mentions a keyword, over a date range.
-- param keyword: text
-- param start: date = 2000-01-01
-- param end: date = 2999-12-31
-- param limit: int = 20
SELECT author, count(*) AS papers, min(first_announced) AS first, max(first_announced) AS last
FROM (SELECT unnest(authors) AS author, first_announced
      FROM papers
      WHERE first_announced BETWEEN $start::DATE AND $end::DATE
        AND (contains(lower(title), lower($keyword)) OR contains(lower(abstract), lower($keyword))))
GROUP BY author
ORDER BY papers DESC, author
LIMIT $limit;
