-- Per announcement day, per listed category, per announce type: listings and how many any reader kept.
CREATE OR REPLACE VIEW daily_counts AS
SELECT l.partition_date, l.category, l.announce_type,
       count(*)            AS listings,
       count(f.arxiv_id)   AS kept
FROM (SELECT partition_date, arxiv_id, version, announce_type, unnest(categories) AS category
      FROM raw_listings) l
LEFT JOIN kept_papers f USING (partition_date, arxiv_id, version)
GROUP BY ALL;
