-- saved: Filtered papers announced in a date range with a code or model link (GitHub, GitLab, Hugging Face, ...).
-- param start: date = 2000-01-01
-- param end: date = 2999-12-31
SELECT partition_date, arxiv_id, version, title, kind, url, found_in
FROM papers_with_code
WHERE partition_date BETWEEN $start::DATE AND $end::DATE
ORDER BY partition_date, arxiv_id, url;
