-- Failure-detection metrics per score (FD-Shifts conventions: auroc_f higher
-- is better; aurc, eaurc, augrc, fpr95 lower is better), with bootstrap 95%
-- intervals, side by side for every score of a run.
-- @param dataset string ""   dataset flag; empty = every dataset
-- @param run     string ""   run id; empty = every complete run
-- @param split   string test split evaluated; empty = every split
-- @param metric  string ""   one metric; empty = every metric
SELECT dataset, run_id, split, metric, score_name, value, ci_lo, ci_hi, n, n_boot
FROM failure_metrics
WHERE matches(dataset, $dataset)
  AND matches(run_id, $run)
  AND matches(split, $split)
  AND matches(metric, $metric)
ORDER BY dataset, run_id, split, metric, score_name
