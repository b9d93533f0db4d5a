-- Explanations of recommendations, and names of interests.

-- One checked sentence per (user, item, evidence, writer): a slider move that keeps an
-- item's evidence reads it back instead of asking the LLM again.
CREATE TABLE explanations (
    user_id         VARCHAR NOT NULL,
    item_id         VARCHAR NOT NULL,
    evidence_hash   VARCHAR NOT NULL,          -- SHA-1 of the facts the prompt was built from
    backend         VARCHAR NOT NULL,          -- local, openai, template
    model           VARCHAR NOT NULL,
    prompt_version  INTEGER NOT NULL,
    text            VARCHAR NOT NULL,          -- what is shown (the template text after a fallback)
    source          VARCHAR NOT NULL,          -- llm or template
    llm_text        VARCHAR,                   -- the LLM's own text, kept when it was replaced
    fallback_reason VARCHAR,                   -- why the template is shown, NULL when the LLM text passed
    checks          JSON NOT NULL,             -- the faithfulness check's findings
    seconds         DOUBLE NOT NULL,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (user_id, item_id, evidence_hash, backend, model, prompt_version)
);

-- Names given to interest nodes of a build, by the LLM or by an analyst; an analyst's name wins.
CREATE TABLE interest_names (
    build_id    INTEGER NOT NULL,
    level       VARCHAR NOT NULL,              -- fine or theme
    node_id     INTEGER NOT NULL,
    source      VARCHAR NOT NULL,              -- llm or analyst
    name        VARCHAR NOT NULL,
    model       VARCHAR,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (build_id, level, node_id, source)
);
