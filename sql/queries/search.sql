-- saved: Full-text search (any case, substring) over titles, abstracts and analyses; newest first.
-- DuckDB's fts extension is downloaded on first use, which an offline install cannot do: contains() it is.
-- param text: text
-- param limit: int = 50
SELECT p.first_announced, p.arxiv_id, p.latest_version AS version, p.title,
       CASE WHEN contains(lower(p.title), lower($text)) THEN 'title'
            WHEN contains(lower(p.abstract), lower($text)) THEN 'abstract'
            ELSE 'analysis' END AS found_in,
       a.tldr
FROM papers p
LEFT JOIN (SELECT arxiv_id, arg_max(tldr, analysed_at) AS tldr,
                  string_agg(concat_ws(' ', tldr, summary, motivation, contributions, method, experiments), ' ') AS analysis
           FROM analyses GROUP BY arxiv_id) a USING (arxiv_id)
WHERE contains(lower(p.title), lower($text)) OR contains(lower(p.abstract), lower($text))
   OR contains(lower(coalesce(a.analysis, '')), lower($text))
ORDER BY p.first_announced DESC, p.arxiv_id
LIMIT $limit;
