-- Everything one reader's report shows about the papers they kept on one day, with the analyses in their
-- language, in their report order.
SELECT f.arxiv_id, f.version, f.announce_type, f.is_update, f.rank, f.matched_keywords, f.matched_authors,
       f.semantic_score, f.closest_interest, f.kept_by, f.combined_score, f.learned_score, f.closest_liked,
       f.venue, f.venue_year, f.venue_status, f.revision_of, f.revision_kind, f.revision, s.reused_from,
       l.title, l.authors, l.abstract, l.primary_category, l.categories, l.comment,
       t.status AS fulltext_status, t.links, t.evidence, t.figure_caption, t.figure_page,
       t.figure_png IS NOT NULL AS has_figure,
       s.status, s.error, s.basis, s.dropped_sections, s.tldr, s.summary, s.motivation, s.contributions,
       s.method, s.experiments, s.keywords, s.model, s.prompt_version, s.tokens_in, s.tokens_out,
       s.latency_seconds, s.cached, s.grounding_score, s.citation_share, s.quality, s.statements
FROM filtered_papers f
JOIN raw_listings l USING (partition_date, arxiv_id, version)
LEFT JOIN paper_fulltext t USING (partition_date, arxiv_id, version)
LEFT JOIN paper_summaries s
       ON s.partition_date = f.partition_date AND s.arxiv_id = f.arxiv_id AND s.version = f.version
      AND s.language = $language
WHERE f.partition_date = $partition_date AND f.reader = $reader
ORDER BY f.rank;
