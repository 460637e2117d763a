-- Per-image RMSE distribution (box-plot statistics: 5/25/50/75/95 %
-- quantiles) per layer x corruption x severity x class, placed against that
-- class's one-vs-rest delta AUC: the data of the thesis's Figures 3.3 to 3.11.
-- @param dataset  string ""        dataset flag; empty = every dataset
-- @param run      string ""        run id; empty = every complete run
-- @param split    string test      dataset split; empty = every split
-- @param method   string gradcampp saliency method; empty = every method
-- @param severity int    ""        severity 1..5; empty = every severity
WITH b AS (
    SELECT dataset, run_id, split, method, layer_depth, layer, layer_alias,
           corruption, severity, label, label_name,
           count(*) AS n,
           avg(rmse) AS mean_rmse,
           quantile_cont(rmse, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q
    FROM saliency
    WHERE matches(dataset, $dataset)
      AND matches(run_id, $run)
      AND matches(split, $split)
      AND matches(method, $method)
      AND matches(severity, $severity)
    GROUP BY ALL
)
SELECT b.dataset, b.run_id, b.split, b.method, b.layer_depth, b.layer, b.layer_alias,
       b.corruption, b.severity, b.label, b.label_name, b.n, b.mean_rmse,
       b.q[1] AS q05, b.q[2] AS q25, b.q[3] AS median, b.q[4] AS q75, b.q[5] AS q95,
       m.delta_vs_clean AS delta_auc_class
FROM b
LEFT JOIN metrics m
       ON m.dataset = b.dataset AND m.run_id = b.run_id AND m.split = b.split
      AND m.corruption = b.corruption AND m.severity = b.severity
      AND m.class_index = b.label AND m.metric = 'auc'
ORDER BY b.dataset, b.run_id, b.split, b.method, b.layer_depth, b.corruption, b.severity, b.label
