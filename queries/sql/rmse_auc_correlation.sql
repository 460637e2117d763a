-- Does saliency change track the AUC drop? Per layer x corruption, the
-- Pearson and Spearman correlation between each (class, severity) point's
-- one-vs-rest delta AUC and its mean RMSE, with n points; corruption = all
-- pools the points of every corruption. Spearman is Pearson on average ranks
-- (ties share their mean rank). NULL when n < 3 or a side is constant.
-- @param dataset string ""        dataset flag; empty = every dataset
-- @param run     string ""        run id; empty = every complete run
-- @param split   string test      dataset split; empty = every split
-- @param method  string gradcampp saliency method; empty = every method
WITH pts AS (
    SELECT s.dataset, s.run_id, s.split, s.method, s.layer_depth, s.layer, s.layer_alias,
           s.corruption, s.severity, s.label,
           avg(s.rmse) AS mean_rmse
    FROM saliency s
    WHERE matches(s.dataset, $dataset)
      AND matches(s.run_id, $run)
      AND matches(s.split, $split)
      AND matches(s.method, $method)
    GROUP BY ALL
), joined AS (
    SELECT p.*, m.delta_vs_clean AS delta_auc
    FROM pts p
    JOIN metrics m
      ON m.dataset = p.dataset AND m.run_id = p.run_id AND m.split = p.split
     AND m.corruption = p.corruption AND m.severity = p.severity
     AND m.class_index = p.label AND m.metric = 'auc'
    WHERE NOT isnan(m.delta_vs_clean)
), both_levels AS (
    SELECT * FROM joined
    UNION ALL
    SELECT * REPLACE ('all' AS corruption) FROM joined
), ranked AS (
    SELECT *,
           rank() OVER (PARTITION BY dataset, run_id, split, method, layer, corruption ORDER BY mean_rmse)
             + (count(*) OVER (PARTITION BY dataset, run_id, split, method, layer, corruption, mean_rmse) - 1) / 2.0 AS r_rmse,
           rank() OVER (PARTITION BY dataset, run_id, split, method, layer, corruption ORDER BY delta_auc)
             + (count(*) OVER (PARTITION BY dataset, run_id, split, method, layer, corruption, delta_auc) - 1) / 2.0 AS r_delta
    FROM both_levels
)
SELECT dataset, run_id, split, method, layer_depth, layer, layer_alias, corruption,
       CASE WHEN count(*) >= 3 THEN corr(delta_auc, mean_rmse) END AS pearson,
       CASE WHEN count(*) >= 3 THEN corr(r_delta, r_rmse) END AS spearman,
       count(*) AS n,
       avg(mean_rmse) AS mean_rmse,
       avg(delta_auc) AS mean_delta_auc
FROM ranked
GROUP BY dataset, run_id, split, method, layer_depth, layer, layer_alias, corruption
ORDER BY dataset, run_id, split, method, layer_depth, corruption = 'all', corruption
