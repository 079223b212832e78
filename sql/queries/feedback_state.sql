-- Every paper a profile has said something about ($arxiv_id '': all of them), with its latest listed title.
SELECT s.arxiv_id, s.rating, s.saved, s.read, s.changed_at, p.title
FROM feedback_state s
LEFT JOIN papers p USING (arxiv_id)
WHERE s.profile = $profile AND ($arxiv_id = '' OR s.arxiv_id = $arxiv_id)
ORDER BY s.changed_at DESC, s.arxiv_id;
