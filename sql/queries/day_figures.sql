-- The main figures of one day's papers (PNG bytes), for the site.
SELECT arxiv_id, figure_png
FROM paper_fulltext
WHERE partition_date = $partition_date AND figure_png IS NOT NULL;
