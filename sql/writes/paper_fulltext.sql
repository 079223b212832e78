DELETE FROM paper_fulltext WHERE partition_date = $partition_date;
INSERT INTO paper_fulltext (partition_date, arxiv_id, version, status, error, pages, chars, text, sections, links,
                            pdf_sha256, pdf_bytes, from_cache, extract_seconds, evidence, extractor)
SELECT $partition_date, arxiv_id, version, status, error, pages, chars, text, sections, links,
       pdf_sha256, pdf_bytes, from_cache, extract_seconds, evidence, extractor
FROM staged_paper_fulltext;
