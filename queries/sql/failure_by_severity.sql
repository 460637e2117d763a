-- A failure metric of every score against corruption severity, one series
-- per corruption: severity 0 is the clean test split (the i.i.d. setting),
-- 1..5 each corruption x severity as a test set of its own. With bootstrap
-- 95% intervals. score_group names the scores that rank the images of the
-- setting identically; draw one line per group.
-- @param dataset string ""      dataset flag; empty = every dataset
-- @param run     string ""      failure run id; empty = every complete run
-- @param metric  string auroc_f auroc_f, aurc, eaurc, augrc, fpr95 or silent_failure
-- @param regime  string unseen  seen or unseen (learned scores fitted without the corruption they are tested on)
-- @param score   string ""      one score; empty = every score
WITH m AS (
  SELECT dataset, run_id, setting, corruption, severity, regime, metric, score_name,
         coalesce(nullif("group", ''), score_name) AS score_group, value, ci_lo, ci_hi, n
  FROM failure_metrics
  WHERE matches(dataset, $dataset) AND matches(run_id, $run) AND split = 'test'
    AND matches(metric, $metric) AND matches(regime, $regime) AND matches(score_name, $score)
), corruptions AS (
  SELECT DISTINCT dataset, run_id, corruption FROM m WHERE setting = 'shift' AND severity > 0
)
SELECT dataset, run_id, corruption, severity, regime, metric, score_name, score_group, value, ci_lo, ci_hi, n
FROM m WHERE setting = 'shift' AND severity > 0
UNION ALL
SELECT c.dataset, c.run_id, c.corruption, 0 AS severity, m.regime, m.metric, m.score_name, m.score_group, m.value, m.ci_lo, m.ci_hi, m.n
FROM m JOIN corruptions c USING (dataset, run_id)
WHERE m.setting = 'iid'
ORDER BY dataset, run_id, corruption, metric, regime, score_name, severity
