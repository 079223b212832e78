DELETE FROM paper_fulltext WHERE partition_date = $partition_date;
INSERT INTO paper_fulltext (partition_date, arxiv_id, version, status, error, pages, chars, text, sections, links,
                            pdf_sha256, pdf_bytes, from_cache, extract_seconds, evidence, extractor,
                            figure_png, figure_caption, figure_page)
SELECT $partition_date, arxiv_id, version, status, error, pages, chars, text, sections, links,
       pdf_sha256, pdf_bytes, from_cache, extract_seconds, evidence, extractor, figure_png, figure_caption,
       figure_page
FROM staged_paper_fulltext;
