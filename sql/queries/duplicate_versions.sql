-- (arxiv_id, version) pairs stored more than once in one partition: must be empty.
SELECT arxiv_id, version, count(*) AS copies
FROM raw_listings
WHERE partition_date = $partition_date
GROUP BY arxiv_id, version
HAVING count(*) > 1;
