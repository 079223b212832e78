-- saved: the reading list: saved papers, newest first, with their latest analysis and evidence
-- param profile: text = default
SELECT s.arxiv_id, p.latest_version AS version, p.title, p.authors, p.primary_category, p.first_announced,
       p.abstract, p.journal_ref, p.doi, p.published, s.rating, s.read, s.first_saved_at,
       a.tldr, a.summary, a.method, a.experiments, a.model, t.evidence
FROM feedback_state s
JOIN papers p USING (arxiv_id)
LEFT JOIN (SELECT arxiv_id, arg_max(tldr, analysed_at) AS tldr, arg_max(summary, analysed_at) AS summary,
                  arg_max(method, analysed_at) AS method, arg_max(experiments, analysed_at) AS experiments,
                  arg_max(model, analysed_at) AS model
           FROM analyses GROUP BY arxiv_id) a USING (arxiv_id)
LEFT JOIN (SELECT arxiv_id, arg_max(evidence, partition_date) AS evidence
           FROM paper_fulltext GROUP BY arxiv_id) t USING (arxiv_id)
WHERE s.profile = $profile AND s.saved
ORDER BY s.first_saved_at DESC, s.arxiv_id;
