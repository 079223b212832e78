-- Per profile and paper, what the signals since its last `clear` add up to: the rating (last up/down,
-- unless an unrate came after it), saved (last save/unsave), read, and when it last changed.
CREATE OR REPLACE VIEW feedback_state AS
WITH cleared AS (
    SELECT profile, arxiv_id, max(seq) AS cleared_seq FROM feedback WHERE signal = 'clear' GROUP BY ALL
), live AS (
    SELECT f.* FROM feedback f LEFT JOIN cleared c USING (profile, arxiv_id)
    WHERE f.signal <> 'clear' AND f.seq > coalesce(c.cleared_seq, -1)
), state AS (
    SELECT profile, arxiv_id,
           arg_max(signal, seq) FILTER (WHERE signal IN ('up', 'down', 'unrate')) AS last_rating,
           arg_max(signal, seq) FILTER (WHERE signal IN ('save', 'unsave'))       AS last_saving,
           bool_or(signal = 'read')                                                AS is_read,
           max(noted_at)                                                           AS changed_at,
           min(noted_at) FILTER (WHERE signal = 'save')                            AS first_saved_at
    FROM live GROUP BY ALL
)
SELECT profile, arxiv_id,
       CASE WHEN last_rating IN ('up', 'down') THEN last_rating END AS rating,
       coalesce(last_saving = 'save', false)                         AS saved,
       is_read                                                        AS read,
       first_saved_at, changed_at
FROM state;
