-- The interest engine's state: cached text vectors, live events, model builds with their
-- interest hierarchy and user states, and evaluation runs.

-- One vector per (model, text): a rebuild embeds only texts it has not seen.
CREATE TABLE text_embeddings (
    model       VARCHAR NOT NULL,
    text_hash   VARCHAR NOT NULL,              -- SHA-1 of the UTF-8 text
    vector      FLOAT[] NOT NULL,              -- L2-normalised
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (model, text_hash)
);

-- Events recorded after the imports (Python API, `event` command, the app's simulator).
-- Kept apart from imported data so they never change the data version; simulated ones can
-- be cleared.
CREATE SEQUENCE live_event_ids START 1;
CREATE TABLE live_events (
    event_id     BIGINT PRIMARY KEY DEFAULT nextval('live_event_ids'),
    user_id      VARCHAR NOT NULL,
    item_id      VARCHAR NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,           -- UTC
    event_type   VARCHAR NOT NULL,
    simulated    BOOLEAN NOT NULL DEFAULT false,
    created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX live_events_user_idx ON live_events (user_id);

-- One row per trained model; the newest is the one served.
CREATE TABLE builds (
    build_id         INTEGER PRIMARY KEY,
    data_version     INTEGER NOT NULL,
    embedding_model  VARCHAR NOT NULL,
    config           JSON NOT NULL,            -- hierarchy + model config used
    stats            JSON NOT NULL,            -- sizes, timings, losses, hierarchy scores
    checkpoint       BLOB NOT NULL,            -- torch state dict + model config
    created_at       TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Interest nodes of a build: level 'fine' (parent = theme) and 'theme' (no parent).
CREATE TABLE interest_nodes (
    build_id         INTEGER NOT NULL,
    level            VARCHAR NOT NULL,
    node_id          INTEGER NOT NULL,
    parent_id        INTEGER,
    label            VARCHAR NOT NULL,         -- keyword label
    keywords         VARCHAR[] NOT NULL,
    size             INTEGER NOT NULL,         -- member items
    representatives  VARCHAR[] NOT NULL,       -- item ids closest to the centroid
    PRIMARY KEY (build_id, level, node_id)
);

CREATE TABLE item_interests (
    build_id  INTEGER NOT NULL,
    item_id   VARCHAR NOT NULL,
    position  INTEGER NOT NULL,                -- row of the item in the model's item matrix
    fine_id   INTEGER NOT NULL,
    theme_id  INTEGER NOT NULL,
    PRIMARY KEY (build_id, item_id)
);

-- Per-user long/short interest vectors and learned gate, as of the events they were computed from.
CREATE TABLE user_states (
    build_id       INTEGER NOT NULL,
    user_id        VARCHAR NOT NULL,
    n_events       INTEGER NOT NULL,
    last_event_at  TIMESTAMP,
    u_long         FLOAT[] NOT NULL,
    u_short        FLOAT[] NOT NULL,
    gate           DOUBLE NOT NULL,            -- learned weight of the long-term vector
    PRIMARY KEY (build_id, user_id)
);

CREATE TABLE evaluation_runs (
    run_id        INTEGER PRIMARY KEY,
    data_version  INTEGER NOT NULL,
    split         VARCHAR NOT NULL,            -- leave_last_out
    config        JSON NOT NULL,
    summary       JSON NOT NULL,               -- models x metrics, as records
    n_users       INTEGER NOT NULL,
    seconds       DOUBLE NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Per-user results of a run, for breakdowns by user and segment.
CREATE TABLE evaluation_users (
    run_id       INTEGER NOT NULL,
    model        VARCHAR NOT NULL,
    user_id      VARCHAR NOT NULL,
    n_train      INTEGER NOT NULL,
    segment      VARCHAR NOT NULL,             -- light / heavy
    rank         INTEGER NOT NULL,             -- 1-based rank of the held-out item
    ndcg_10      DOUBLE NOT NULL,
    diversity    DOUBLE,
    novelty      DOUBLE,
    calibration  DOUBLE,
    PRIMARY KEY (run_id, model, user_id)
);
