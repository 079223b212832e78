-- One row per kept paper and language its readers read: its LLM analysis, or why there is none.
CREATE TABLE IF NOT EXISTS paper_summaries (
    partition_date   DATE      NOT NULL,
    arxiv_id         VARCHAR   NOT NULL,
    version          INTEGER   NOT NULL,
    status           VARCHAR   NOT NULL,  -- ok | rejected (junk by a quality gate) | failed
    error            VARCHAR,             -- why it failed
    retryable        BOOLEAN   NOT NULL,  -- failed for a passing reason (server down, timeout): a re-run asks again
    basis            VARCHAR   NOT NULL,  -- fulltext | fulltext_trimmed | abstract
    dropped_sections VARCHAR[],           -- section kinds left out to fit the context
    tldr             VARCHAR,
    summary          VARCHAR,             -- 论文概要
    motivation       VARCHAR,             -- 研究动机
    contributions    VARCHAR,             -- 核心贡献与创新点
    method           VARCHAR,             -- 方法概述
    experiments      VARCHAR,             -- 实验说明
    keywords         VARCHAR[],
    language         VARCHAR   NOT NULL,
    model            VARCHAR   NOT NULL,  -- backend:model
    backend          VARCHAR   NOT NULL,
    prompt_version   VARCHAR   NOT NULL,  -- language-sha256(prompt file)[:12]
    text_hash        VARCHAR   NOT NULL,  -- sha256 of abstract + sections
    tokens_in        INTEGER,
    tokens_out       INTEGER,
    latency_seconds  DOUBLE,
    finish_reason    VARCHAR,
    grounding_score  DOUBLE,              -- share of the analysis's numbers found in the source text
    cached           BOOLEAN   NOT NULL,  -- reused from an earlier run: no tokens spent
    attempts         INTEGER,
    raw_output       VARCHAR,
    analysed_at      TIMESTAMPTZ NOT NULL
);
-- Added after the first release (older files get them here): the sections the model says it drew
-- on, the share of them that exist in the paper, and the quality gates' measures (assets/quality.py).
ALTER TABLE paper_summaries ADD COLUMN IF NOT EXISTS cited_sections VARCHAR[];
ALTER TABLE paper_summaries ADD COLUMN IF NOT EXISTS citation_share DOUBLE;
ALTER TABLE paper_summaries ADD COLUMN IF NOT EXISTS quality STRUCT(junk VARCHAR[], problems VARCHAR[],
    max_repetition DOUBLE, max_echo DOUBLE, short_fields VARCHAR[], copied_fields VARCHAR[], language_share DOUBLE,
    language_ok BOOLEAN, number_grounding DOUBLE, term_grounding DOUBLE);
-- A minor revision (arxiv_domain/revision.py) re-uses the analysis of the version it revises: that version.
ALTER TABLE paper_summaries ADD COLUMN IF NOT EXISTS reused_from INTEGER;
-- Each shown sentence of an analysis with the paper's sentences it rests on (their section and text), and the
-- sentences the model wrote that were not shown, with why (llm_analysis/claims.py).
ALTER TABLE paper_summaries ADD COLUMN IF NOT EXISTS statements STRUCT(section VARCHAR, text VARCHAR,
    sources STRUCT(section VARCHAR, text VARCHAR)[])[];
ALTER TABLE paper_summaries ADD COLUMN IF NOT EXISTS dropped_statements STRUCT(section VARCHAR, text VARCHAR,
    reason VARCHAR)[];
