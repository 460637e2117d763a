-- How well each score tells degraded incoming test images from clean ones:
-- AUROC of clean (positive) against each corruption x severity, with
-- bootstrap 95% intervals (0.5 = blind, below 0.5 = degraded images look
-- more trustworthy than clean ones). degradation is the fingerprint's own
-- detector of degraded inputs; fp_distance the fingerprint's distance from
-- clean train images.
-- @param dataset    string ""     dataset flag; empty = every dataset
-- @param run        string ""     failure run id; empty = every complete run
-- @param regime     string unseen seen or unseen (fitted without the corruption tested)
-- @param corruption string ""     one corruption; empty = every one
-- @param score      string ""     one score; empty = every score
SELECT dataset, run_id, corruption, severity, regime, score_name, value AS auroc, ci_lo, ci_hi, n_clean, n_degraded
FROM degradation_metrics
WHERE matches(dataset, $dataset) AND matches(run_id, $run) AND split = 'test'
  AND matches(regime, $regime) AND matches(corruption, $corruption) AND matches(score_name, $score)
ORDER BY dataset, run_id, corruption, regime, score_name, severity
