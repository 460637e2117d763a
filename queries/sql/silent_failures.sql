-- Silent failures: the share of all images of a test setting that are
-- wrong yet accepted by a score's flag at the default coverage (its
-- threshold calibrated on clean validation), with bootstrap 95% intervals,
-- beside the setting's error rate (the silent-failure rate of accepting
-- every image). Every setting: iid, each corruption x severity, pooled
-- (severity 0; corruption all = every corruption), and the deployment
-- mixes.
-- @param dataset string ""     dataset flag; empty = every dataset
-- @param run     string ""     failure run id; empty = every complete run
-- @param setting string ""     iid, shift or mix; empty = every setting
-- @param regime  string unseen seen or unseen
-- @param score   string ""     one score; empty = every score
WITH m AS (
  SELECT dataset, run_id, setting, corruption, severity, regime, score_name,
         coalesce(nullif("group", ''), score_name) AS score_group, value, ci_lo, ci_hi, n
  FROM failure_metrics
  WHERE matches(dataset, $dataset) AND matches(run_id, $run) AND split = 'test' AND metric = 'silent_failure'
    AND matches(setting, $setting) AND matches(regime, $regime) AND matches(score_name, $score)
), images AS (
  -- one row per incoming test image: its wrongness does not depend on the score
  SELECT DISTINCT dataset, run_id, image_id, corruption, severity, wrong
  FROM scores
  WHERE matches(dataset, $dataset) AND matches(run_id, $run) AND split = 'test'
), err AS (
  SELECT dataset, run_id, 'iid' AS setting, 'clean' AS corruption, 0 AS severity, avg(wrong::INT) AS error_rate
  FROM images WHERE corruption = 'clean' GROUP BY ALL
  UNION ALL
  SELECT dataset, run_id, 'shift', corruption, severity, avg(wrong::INT) FROM images WHERE corruption <> 'clean' GROUP BY ALL
  UNION ALL
  SELECT dataset, run_id, 'shift', corruption, 0, avg(wrong::INT) FROM images WHERE corruption <> 'clean' GROUP BY ALL
  UNION ALL
  SELECT dataset, run_id, 'shift', 'all', 0, avg(wrong::INT) FROM images WHERE corruption <> 'clean' GROUP BY ALL
)
SELECT m.dataset, m.run_id, m.setting, m.corruption, m.severity, m.regime, m.score_name, m.score_group,
       m.value AS silent_failure, m.ci_lo, m.ci_hi, err.error_rate, m.n
FROM m LEFT JOIN err USING (dataset, run_id, setting, corruption, severity)
ORDER BY m.dataset, m.run_id, m.setting, m.corruption, m.severity, m.regime, m.score_name
