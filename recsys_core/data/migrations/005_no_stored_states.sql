-- User states are computed from the events when asked for (so they always read the newest
-- events); the table that stored a copy per build was never read.
DROP TABLE user_states;
