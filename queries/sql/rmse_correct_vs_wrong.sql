-- Is saliency less stable when the model is wrong? Per layer, the
-- distribution of RMSE (mean and quantiles 5/25/50/75/95 %) for images whose
-- clean prediction was correct versus wrong, over the chosen corruptions and
-- severities.
-- @param dataset    string ""        dataset flag; empty = every dataset
-- @param run        string ""        run id; empty = every complete run
-- @param split      string test      dataset split; empty = every split
-- @param method     string gradcampp saliency method; empty = every method
-- @param corruption string ""        corruption; empty = every corruption
-- @param severity   int    ""        severity 1..5; empty = every severity
WITH g AS (
    SELECT dataset, run_id, split, method, layer_depth, layer, layer_alias,
           CASE WHEN correct_clean THEN 'correct' ELSE 'wrong' END AS outcome,
           count(*) AS n,
           avg(rmse) AS mean_rmse,
           -- One sort per group for all five quantiles.
           quantile_cont(rmse, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q
    FROM saliency
    WHERE matches(dataset, $dataset)
      AND matches(run_id, $run)
      AND matches(split, $split)
      AND matches(method, $method)
      AND matches(corruption, $corruption)
      AND matches(severity, $severity)
    GROUP BY ALL
)
SELECT dataset, run_id, split, method, layer_depth, layer, layer_alias, outcome, n, mean_rmse,
       q[1] AS q05, q[2] AS q25, q[3] AS median, q[4] AS q75, q[5] AS q95
FROM g
ORDER BY dataset, run_id, split, method, layer_depth, outcome
