-- One row per filtered paper: its PDF's text and sections, or why there is none.
CREATE TABLE IF NOT EXISTS paper_fulltext (
    partition_date  DATE      NOT NULL,
    arxiv_id        VARCHAR   NOT NULL,
    version         INTEGER   NOT NULL,
    status          VARCHAR   NOT NULL,  -- ok | no_text | not_pdf | encrypted | too_large | truncated | download_failed | extract_failed
    error           VARCHAR,             -- why, when status is not ok
    pages           INTEGER,
    chars           INTEGER,
    text            VARCHAR,             -- the sections' text in reading order
    sections        STRUCT(title VARCHAR, kind VARCHAR, text VARCHAR)[],
    links           STRUCT(url VARCHAR, kind VARCHAR, found_in VARCHAR)[],  -- github | gitlab | huggingface | project_page | code
    pdf_sha256      VARCHAR,
    pdf_bytes       BIGINT,
    from_cache      BOOLEAN,
    extract_seconds DOUBLE
);
-- The paper's own key sentences (assets/evidence.py), quoted verbatim with their section; from the
-- abstract alone when the full text was not read. Added after the first release: older files get it here.
ALTER TABLE paper_fulltext ADD COLUMN IF NOT EXISTS evidence STRUCT(kind VARCHAR, section VARCHAR, text VARCHAR)[];
-- What made the extraction: PyMuPDF's version and a hash of the extraction code (assets/fulltext.py:
-- extractor_identity). A re-run re-uses a stored extraction of the same PDF bytes by the same code.
ALTER TABLE paper_fulltext ADD COLUMN IF NOT EXISTS extractor VARCHAR;
-- The paper's main figure (assets/figures.py): a PNG rendered from the PDF, its caption and page; NULL when
-- none was found (or the PDF was not read).
ALTER TABLE paper_fulltext ADD COLUMN IF NOT EXISTS figure_png BLOB;
ALTER TABLE paper_fulltext ADD COLUMN IF NOT EXISTS figure_caption VARCHAR;
ALTER TABLE paper_fulltext ADD COLUMN IF NOT EXISTS figure_page INTEGER;
