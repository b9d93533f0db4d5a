-- Core catalogue, users and events. Ids are kept exactly as the source files give them.
CREATE TABLE items (
    item_id     VARCHAR PRIMARY KEY,
    title       VARCHAR NOT NULL,
    text        VARCHAR NOT NULL DEFAULT '',   -- description; may be empty
    category    VARCHAR,                       -- category path or labels as given by the source
    attributes  JSON,                          -- every other source column, as a JSON object
    import_id   INTEGER NOT NULL,              -- the import that last wrote this row
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE users (
    user_id       VARCHAR PRIMARY KEY,
    profile_text  VARCHAR,                     -- free-text self-description, if any
    import_id     INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE interactions (
    user_id      VARCHAR NOT NULL,
    item_id      VARCHAR NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,           -- UTC
    event_type   VARCHAR NOT NULL,             -- view, click, purchase, rating, ...
    value        DOUBLE,                       -- rating or other numeric value, if any
    text         VARCHAR,                      -- review or tag text, if any
    import_id    INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_id, occurred_at, event_type)
);

-- Free-text tags as the source gave them (MovieLens tags.csv), kept whole even where no
-- interaction matches them.
CREATE TABLE tags (
    user_id    VARCHAR NOT NULL,
    item_id    VARCHAR NOT NULL,
    tag        VARCHAR NOT NULL,
    tagged_at  TIMESTAMP NOT NULL,
    import_id  INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_id, tag, tagged_at)
);

-- One row per import that changed the database; max(import_id) is the data version.
CREATE TABLE imports (
    import_id         INTEGER PRIMARY KEY,
    kind              VARCHAR NOT NULL,        -- generic, movielens, sample
    source            VARCHAR NOT NULL,        -- files or folder imported
    n_items           INTEGER NOT NULL,
    n_users           INTEGER NOT NULL,
    n_interactions    INTEGER NOT NULL,
    created_at        TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE INDEX interactions_item_idx ON interactions (item_id);
