-- Every listing row of one announcement day (input of filtered_papers).
SELECT arxiv_id, version, announce_type, title, authors, abstract, primary_category, categories, comment, journal_ref
FROM raw_listings
WHERE partition_date = $partition_date
ORDER BY arxiv_id, version;
