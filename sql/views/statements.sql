-- One row per shown sentence of a successful analysis, with the paper's sentences it rests on.
CREATE OR REPLACE VIEW statements AS
SELECT s.partition_date, s.arxiv_id, s.version, s.language, n AS position, st.section, st.text,
       st.sources, len(st.sources) AS source_count
FROM paper_summaries s,
     unnest(s.statements) WITH ORDINALITY AS u(st, n)
WHERE s.status = 'ok';
