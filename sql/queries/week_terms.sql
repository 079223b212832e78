-- Per week (Monday) of [$start, $end): how many first-version listings have each term in their title or
-- abstract (lowercase words of 4+ letters, a stop list aside), and how many listings the week has.
WITH docs AS (
    SELECT DISTINCT date_trunc('week', partition_date)::DATE AS week, arxiv_id,
           lower(title || ' ' || abstract) AS text
    FROM raw_listings
    WHERE partition_date >= $start AND partition_date < $end AND announce_type IN ('new', 'cross')
), sizes AS (
    SELECT week, count(*) AS listings FROM docs GROUP BY week
), terms AS (
    SELECT DISTINCT week, arxiv_id, unnest(regexp_extract_all(text, '[a-z][a-z0-9-]{3,}')) AS term FROM docs
)
SELECT t.week, t.term, count(*) AS papers, any_value(s.listings) AS listings
FROM terms t JOIN sizes s USING (week)
WHERE NOT list_contains($stop_words::VARCHAR[], t.term)
GROUP BY t.week, t.term;
