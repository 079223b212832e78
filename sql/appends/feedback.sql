-- One reader signal, appended.
INSERT INTO feedback (profile, arxiv_id, signal, source, noted_at)
VALUES ($profile, $arxiv_id, $signal, $source, now());
