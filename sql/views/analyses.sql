-- The LLM analyses that succeeded, with the paper's listing metadata.
CREATE OR REPLACE VIEW analyses AS
SELECT s.partition_date, s.arxiv_id, s.version, l.title, l.authors, l.primary_category, l.categories,
       s.tldr, s.summary, s.motivation, s.contributions, s.method, s.experiments, s.keywords,
       s.basis, s.language, s.model, s.prompt_version, s.grounding_score, s.tokens_in, s.tokens_out,
       s.analysed_at
FROM paper_summaries s
JOIN raw_listings l USING (partition_date, arxiv_id, version)
WHERE s.status = 'ok';
