-- Replace one partition of raw_listings with the staged rows (run inside one transaction).
DELETE FROM raw_listings WHERE partition_date = $partition_date;
INSERT INTO raw_listings (partition_date, arxiv_id, version, announce_type, title, authors, abstract,
                          primary_category, categories, published, updated, comment, journal_ref, doi,
                          abs_url, pdf_url, fetched_at)
SELECT $partition_date, arxiv_id, version, announce_type, title, authors, abstract,
       primary_category, categories, published, updated, comment, journal_ref, doi,
       abs_url, pdf_url, fetched_at
FROM staged_raw_listings;
