-- Segments of users defined by readable rules, fusion policies over them, and the learned
-- weight each test user got in an evaluation run (what a segment on the weight reads).

-- Named segments: the rules as JSON (recsys_core.population.segments.SegmentRules).
CREATE TABLE segments (
    name        VARCHAR PRIMARY KEY,
    rules       JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Named fusion policies: [{"segment": NAME, "alpha": WEIGHT or null for learned}, ...], first match wins.
CREATE TABLE fusion_policies (
    name        VARCHAR PRIMARY KEY,
    rules       JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

ALTER TABLE evaluation_users ADD COLUMN gate DOUBLE;
