-- Per-class, per-layer mean saliency RMSE for each corruption and severity
-- (the thesis's Figure 3.1), for all images (selection = all) and split by
-- whether the clean prediction was correct (selection = correct, incorrect).
-- delta_auc is the run's overall AUC drop at that corruption and severity,
-- delta_auc_class the class's one-vs-rest AUC drop (both from metrics).
-- @param dataset   string ""        dataset flag; empty = every dataset
-- @param run       string ""        run id; empty = every complete run
-- @param split     string test      dataset split; empty = every split
-- @param method    string gradcampp saliency method; empty = every method
-- @param selection string ""        all, correct or incorrect; empty = all three
-- @param severity  int    ""        severity 1..5; empty = every severity
WITH by_outcome AS (
    -- One pass over saliency; the "all" rows are summed from these two
    -- groups rather than grouped again, which halves the work.
    SELECT dataset, run_id, split, method, corruption, severity, label, label_name,
           layer_depth, layer, layer_alias, correct_clean,
           sum(rmse::DOUBLE) AS s1, sum(rmse::DOUBLE * rmse) AS s2, count(*) AS n
    FROM saliency
    WHERE matches(dataset, $dataset)
      AND matches(run_id, $run)
      AND matches(split, $split)
      AND matches(method, $method)
      AND matches(severity, $severity)
    GROUP BY ALL
), both_levels AS (
    SELECT * EXCLUDE (correct_clean),
           CASE WHEN correct_clean THEN 'correct' ELSE 'incorrect' END AS selection
    FROM by_outcome
    UNION ALL
    SELECT dataset, run_id, split, method, corruption, severity, label, label_name,
           layer_depth, layer, layer_alias, sum(s1), sum(s2), sum(n)::BIGINT, 'all'
    FROM by_outcome
    GROUP BY ALL
), g AS (
    SELECT * EXCLUDE (s1, s2),
           s1 / n AS mean_rmse,
           CASE WHEN n > 1 THEN sqrt(greatest(s2 - s1 * s1 / n, 0) / (n - 1)) END AS sd_rmse
    FROM both_levels
)
SELECT g.dataset, g.run_id, g.split, g.method, g.corruption, g.severity, g.label, g.label_name,
       g.layer_depth, g.layer, g.layer_alias, g.selection, g.mean_rmse, g.sd_rmse, g.n,
       m.delta_vs_clean AS delta_auc,
       mc.delta_vs_clean AS delta_auc_class
FROM g
LEFT JOIN metrics m
       ON m.dataset = g.dataset AND m.run_id = g.run_id AND m.split = g.split
      AND m.corruption = g.corruption AND m.severity = g.severity
      AND m.class_index = -1 AND m.metric = 'auc'
LEFT JOIN metrics mc
       ON mc.dataset = g.dataset AND mc.run_id = g.run_id AND mc.split = g.split
      AND mc.corruption = g.corruption AND mc.severity = g.severity
      AND mc.class_index = g.label AND mc.metric = 'auc'
WHERE matches(g.selection, $selection)
ORDER BY g.dataset, g.run_id, g.split, g.method, g.selection, g.corruption, g.severity, g.label, g.layer_depth
