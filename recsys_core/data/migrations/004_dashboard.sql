-- What the dashboard keeps: map positions per build, and the analyst's saved lab settings.

-- UMAP positions of the served items (computed once per build; other points are placed
-- from these).
CREATE TABLE item_map (
    build_id  INTEGER NOT NULL,
    item_id   VARCHAR NOT NULL,
    x         FLOAT NOT NULL,
    y         FLOAT NOT NULL,
    PRIMARY KEY (build_id, item_id)
);

-- Named settings of the recommendation lab (alpha, diversity, interest, n, ...).
CREATE TABLE presets (
    name        VARCHAR PRIMARY KEY,
    settings    JSON NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
