-- The LLM's replies to the interest-naming prompts, by backend, model and prompt: a rebuild whose
-- interests did not change (the same data, other model settings) reuses them instead of asking again.
CREATE TABLE llm_replies (
    backend     VARCHAR NOT NULL,
    model       VARCHAR NOT NULL,
    prompt_key  VARCHAR NOT NULL,  -- sha256 of the prompt as the backend is given it
    reply       VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (backend, model, prompt_key)
);
