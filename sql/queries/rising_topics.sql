-- saved: Rising terms per week: the share of the week's listings using a term against the four weeks before.
-- param start: date = 2000-01-01
-- param end: date = 2999-12-31
SELECT partition_date AS week, term, papers, round(share, 4) AS share, round(previous_share, 4) AS previous_share,
       round(growth, 2) AS growth
FROM weekly_topics
WHERE partition_date BETWEEN $start::DATE AND $end::DATE
ORDER BY week DESC, growth DESC, term;
