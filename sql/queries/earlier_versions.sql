-- Every stored listing of some papers up to a day (the revision comparison picks the version before).
SELECT DISTINCT arxiv_id, version, title, abstract, comment, journal_ref
FROM raw_listings
WHERE list_contains($arxiv_ids, arxiv_id) AND partition_date <= $partition_date;
