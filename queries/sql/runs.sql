-- Every run in the warehouse, complete or not: kind, status over all its
-- shards (complete only when every shard is), shards and chunks done, start
-- and finish times, seed, versions and model checksum. visible says whether
-- other queries see it (they skip incomplete runs unless --include-incomplete).
-- @param dataset string "" dataset flag; empty = every dataset
-- @param kind    string "" run kind (train, analyze, flag, ...); empty = every kind
WITH r AS (
    SELECT dataset, run_id,
           any_value(kind) AS kind,
           CASE WHEN bool_and(status = 'complete') AND count(DISTINCT shard_index) = max(shard_count) THEN 'complete'
                WHEN bool_or(status = 'failed') THEN 'failed'
                ELSE 'running' END AS status,
           count(DISTINCT shard_index) AS shards_seen,
           max(shard_count) AS shards,
           sum(chunks_done)::BIGINT AS chunks_done,
           min(started_at) AS started_at,
           CASE WHEN bool_and(finished_at IS NOT NULL) THEN max(finished_at) END AS finished_at,
           any_value(seed) AS seed,
           any_value(gradprint_version) AS gradprint_version,
           any_value(model_sha256) AS model_sha256,
           any_value(parent_run_id) AS parent_run_id,
           string_agg(DISTINCT nullif(error, ''), '; ') AS error
    FROM all_runs
    WHERE matches(dataset, $dataset)
      AND matches(kind, $kind)
    GROUP BY dataset, run_id
)
SELECT r.*,
       date_diff('millisecond', started_at, finished_at) / 1000.0 AS seconds,
       run_id IN (SELECT run_id FROM runs) AS visible
FROM r
ORDER BY started_at, dataset, run_id
