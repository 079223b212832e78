-- One paper's latest listed title (none: the history never listed it).
SELECT title FROM papers WHERE arxiv_id = $arxiv_id;
