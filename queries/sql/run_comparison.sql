-- Two analyze runs side by side, for example a plain model against one
-- trained with corruption augmentation (the thesis's Figures 3.1 against
-- 3.2 and 3.3 against 3.4): the AUC drop per corruption and severity
-- (measure delta_auc, over all classes, layer empty) and the mean saliency
-- RMSE per layer, corruption and severity (measure mean_rmse), for run a,
-- run b and b minus a. augment_a and augment_b name the augmentation each
-- run's model was trained with (from its train run's rows; none for a
-- model trained without, or elsewhere).
-- @param run_a  string ""        first analyze run id (required)
-- @param run_b  string ""        second analyze run id (required)
-- @param split  string test      dataset split
-- @param method string gradcampp saliency method of the RMSE rows
WITH drops AS (
    SELECT run_id, corruption, severity, -1 AS layer_depth, '' AS layer, '' AS layer_alias,
           'delta_auc' AS measure, delta_vs_clean AS value, n::BIGINT AS n
    FROM metrics
    WHERE metric = 'auc' AND class_index = -1 AND corruption <> 'clean'
      AND split = $split AND run_id IN ($run_a, $run_b)
), rmse AS (
    SELECT run_id, corruption, severity, layer_depth, layer, layer_alias,
           'mean_rmse' AS measure, avg(rmse::DOUBLE) AS value, count(*) AS n
    FROM saliency
    WHERE split = $split AND method = $method AND run_id IN ($run_a, $run_b)
    GROUP BY ALL
), both_runs AS (
    SELECT * FROM drops UNION ALL SELECT * FROM rmse
), augment AS (
    SELECT a.run_id, coalesce(max(t.augment), 'none') AS augment
    FROM runs a LEFT JOIN training t ON t.run_id = a.parent_run_id
    WHERE a.run_id IN ($run_a, $run_b)
    GROUP BY a.run_id
)
SELECT measure, corruption, severity, layer_depth, layer, layer_alias,
       max(value) FILTER (WHERE run_id = $run_a) AS value_a,
       max(value) FILTER (WHERE run_id = $run_b) AS value_b,
       value_b - value_a AS difference,
       max(n) FILTER (WHERE run_id = $run_a) AS n_a,
       max(n) FILTER (WHERE run_id = $run_b) AS n_b,
       $run_a AS run_a, $run_b AS run_b,
       (SELECT augment FROM augment WHERE run_id = $run_a) AS augment_a,
       (SELECT augment FROM augment WHERE run_id = $run_b) AS augment_b
FROM both_runs
GROUP BY measure, corruption, severity, layer_depth, layer, layer_alias
ORDER BY measure, corruption, severity, layer_depth
