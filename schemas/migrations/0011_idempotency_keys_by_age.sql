-- Every browser reservation binds a key, so idempotency_keys grows by one row per request
-- for ever unless something removes them: the expirer deletes keys older than
-- FT_IDEMPOTENCY_KEY_TTL_SECONDS (a day by default), a bounded batch per turn
-- (expirer/key_pruning.c). Rows are inserted in time order, so a BRIN index finds the old
-- ones at almost no cost per insert, where a B-tree would add the random index insert
-- that 0009 removed. autosummarize: ranges filled since the last vacuum are summarized
-- without waiting for one, so the search reads few unsummarized pages.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys USING brin (created_at) WITH (autosummarize = on);
