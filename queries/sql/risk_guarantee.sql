-- The risk guarantee promised against what it delivered: for each score,
-- the SGR threshold chosen on clean validation for target_risk at
-- confidence 1 - delta (bound: the guaranteed risk there, NaN when no
-- threshold reaches the target), and on each test setting the risk and
-- coverage that threshold actually gives. holds: test risk at or below the
-- target (vacuously true when the threshold accepted no image of the setting).
-- @param dataset string ""     dataset flag; empty = every dataset
-- @param run     string ""     failure run id; empty = every complete run
-- @param setting string ""     iid, shift or mix; empty = every setting
-- @param regime  string unseen seen or unseen
-- @param score   string ""     one score; empty = every score
SELECT dataset, run_id, setting, corruption, severity, regime, score_name, target_risk, delta, bound,
       cal_coverage, cal_risk, test_coverage, test_risk,
       CASE WHEN isnan(test_risk) THEN true ELSE test_risk <= target_risk END AS holds, n
FROM guarantees
WHERE matches(dataset, $dataset) AND matches(run_id, $run) AND matches(setting, $setting)
  AND matches(regime, $regime) AND matches(score_name, $score)
ORDER BY dataset, run_id, score_name, regime, setting, corruption, severity
