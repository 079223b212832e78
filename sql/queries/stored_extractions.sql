-- The day's stored extractions a re-run may re-use (assets/fulltext.py: read_papers): only those that
-- read the PDF (ok, no_text; a failure may pass) and say what code made them.
SELECT arxiv_id, version, status, error, pages, chars, text, sections, links, pdf_sha256, evidence, extractor,
       figure_png, figure_caption, figure_page
FROM paper_fulltext
WHERE partition_date = $partition_date AND status IN ('ok', 'no_text') AND extractor IS NOT NULL;
