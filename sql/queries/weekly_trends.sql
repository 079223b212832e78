-- saved: Per week (Monday): kept papers per keyword, per closest interest, and listings per primary category
-- (reader: one reader's kept papers; * every reader's).
-- param start: date = 2000-01-01
-- param end: date = 2999-12-31
-- param reader: text = *
SELECT date_trunc('week', partition_date)::DATE AS week, 'keyword' AS kind, keyword AS name,
       count(DISTINCT arxiv_id) AS papers
FROM (SELECT partition_date, arxiv_id, unnest(matched_keywords) AS keyword FROM filtered_papers
      WHERE $reader = '*' OR reader = $reader)
WHERE partition_date BETWEEN $start::DATE AND $end::DATE
GROUP BY ALL
UNION ALL
SELECT date_trunc('week', partition_date)::DATE, 'interest', closest_interest, count(DISTINCT arxiv_id)
FROM filtered_papers
WHERE partition_date BETWEEN $start::DATE AND $end::DATE AND list_contains(kept_by, 'semantic')
  AND ($reader = '*' OR reader = $reader)
GROUP BY ALL
UNION ALL
SELECT date_trunc('week', partition_date)::DATE, 'category', primary_category, count(DISTINCT arxiv_id)
FROM raw_listings
WHERE partition_date BETWEEN $start::DATE AND $end::DATE
GROUP BY ALL
ORDER BY 1, 2, 4 DESC, 3;
