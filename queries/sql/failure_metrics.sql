-- Failure-detection metrics per score (FD-Shifts conventions: auroc_f higher
-- is better; aurc, eaurc, augrc, fpr95 and silent_failure lower is better),
-- with bootstrap 95% intervals, side by side for every score of one setting
-- of a failure run. group names the scores that rank the setting's images
-- identically (one piece of evidence). Runs from before the study under
-- shift read as setting iid, regime seen.
-- @param dataset    string ""     dataset flag; empty = every dataset
-- @param run        string ""     run id; empty = every complete run
-- @param split      string test   split evaluated; empty = every split
-- @param setting    string iid    iid, shift or mix; empty = every setting
-- @param corruption string ""     clean, a corruption, all (pooled) or mix50/mix10; empty = every one
-- @param severity   int    ""     shift severity, 0 = pooled; empty = every severity
-- @param regime     string seen   seen or unseen; empty = both
-- @param metric     string ""     one metric; empty = every metric
SELECT dataset, run_id, split,
       coalesce(setting, 'iid') AS setting, coalesce(corruption, 'clean') AS corruption, coalesce(severity, 0) AS severity,
       coalesce(regime, 'seen') AS regime, metric, score_name, coalesce(nullif("group", ''), score_name) AS score_group,
       value, ci_lo, ci_hi, n, n_boot
FROM failure_metrics
WHERE matches(dataset, $dataset)
  AND matches(run_id, $run)
  AND matches(split, $split)
  AND matches(coalesce(setting, 'iid'), $setting)
  AND matches(coalesce(corruption, 'clean'), $corruption)
  AND matches(coalesce(severity, 0), $severity)
  AND matches(coalesce(regime, 'seen'), $regime)
  AND matches(metric, $metric)
ORDER BY dataset, run_id, split, setting, corruption, severity, regime, metric, score_name
