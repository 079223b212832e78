-- One row per (arxiv_id, version) ever listed: the version's metadata as first announced.
CREATE OR REPLACE VIEW paper_versions AS
SELECT arxiv_id, version,
       min(partition_date)                          AS announced_on,
       arg_min(announce_type, partition_date)       AS announce_type,
       count(*)                                     AS listed_days,
       arg_min(title, partition_date)               AS title,
       arg_min(authors, partition_date)             AS authors,
       arg_min(abstract, partition_date)            AS abstract,
       arg_min(primary_category, partition_date)    AS primary_category,
       arg_min(categories, partition_date)          AS categories,
       arg_min(published, partition_date)           AS published,
       arg_min(updated, partition_date)             AS updated,
       arg_min(comment, partition_date)             AS comment,
       arg_min(journal_ref, partition_date)         AS journal_ref,
       arg_min(doi, partition_date)                 AS doi
FROM raw_listings
GROUP BY arxiv_id, version;
