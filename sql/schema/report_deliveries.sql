-- One row per (announcement day, reader, delivery channel): what was last sent there, and how it went.
CREATE TABLE IF NOT EXISTS report_deliveries (
    partition_date  DATE        NOT NULL,
    channel         VARCHAR     NOT NULL,  -- [[delivery.channels]] name; '(none)' when none is configured
    kind            VARCHAR     NOT NULL,  -- email | slack | feishu | dingtalk | webhook | none
    content_hash    VARCHAR     NOT NULL,  -- sha256 of the digest last sent (or that would have been)
    status          VARCHAR     NOT NULL,  -- sent | updated | failed | skipped_empty | not_sent_backfill | no_channels
    attempts        INTEGER     NOT NULL,  -- send attempts so far for this content (retries included)
    response        VARCHAR,               -- the platform's answer or the error, secrets removed
    sent_at         TIMESTAMPTZ,           -- last successful send
    first_sent_at   TIMESTAMPTZ,
    checked_at      TIMESTAMPTZ NOT NULL,  -- last materialisation that considered this channel
    papers_sent     INTEGER     NOT NULL,  -- papers in the message (the platform's size limit may leave some out)
    papers_left_out INTEGER     NOT NULL
);
-- Whose digest went to the channel (a lab's channel may carry several readers' digests).
ALTER TABLE report_deliveries ADD COLUMN IF NOT EXISTS reader VARCHAR DEFAULT 'default';
