-- Each reader's days with a report, papers kept, likes and saved papers over the whole history (`arxiv-monitor
-- readers`); $readers: the configured readers' names.
SELECT name AS reader,
       (SELECT count(*) FROM daily_report r WHERE r.reader = name)                   AS days,
       (SELECT count(*) FROM filtered_papers f WHERE f.reader = name)                AS kept,
       (SELECT count(*) FROM feedback_state s WHERE s.profile = name AND s.rating = 'up') AS liked,
       (SELECT count(*) FROM feedback_state s WHERE s.profile = name AND s.saved)     AS saved
FROM unnest($readers) AS t(name);
