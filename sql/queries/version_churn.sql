-- saved: Per ISO week: first versions vs replacements listed, and the share of replacements.
-- param start: date = 2000-01-01
-- param end: date = 2999-12-31
SELECT date_trunc('week', partition_date)::DATE                                   AS week,
       count(*) FILTER (announce_type IN ('new', 'cross'))                       AS first_versions,
       count(*) FILTER (announce_type IN ('replace', 'replace-cross'))           AS replacements,
       round(count(*) FILTER (announce_type IN ('replace', 'replace-cross')) / count(*), 3) AS replacement_share,
       max(version)                                                              AS highest_version
FROM raw_listings
WHERE partition_date BETWEEN $start::DATE AND $end::DATE
GROUP BY week
ORDER BY week;
