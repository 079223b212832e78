DELETE FROM paper_summaries WHERE partition_date = $partition_date;
INSERT INTO paper_summaries BY NAME
SELECT $partition_date AS partition_date, * FROM staged_paper_summaries;
