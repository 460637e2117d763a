-- How often a corruption changes the prediction: per corruption x severity,
-- over all classes (label_name = all) and per true class, the fraction of
-- images whose predicted class differs from the clean image's, and how the
-- flips split into right-to-wrong and wrong-to-right.
-- @param dataset string ""   dataset flag; empty = every dataset
-- @param run     string ""   run id; empty = every complete run
-- @param split   string test dataset split; empty = every split
WITH clean AS (
    SELECT dataset, run_id, split, image_id, predicted, correct
    FROM predictions
    WHERE corruption = 'clean'
      AND matches(dataset, $dataset)
      AND matches(run_id, $run)
      AND matches(split, $split)
), pairs AS (
    SELECT v.dataset, v.run_id, v.split, v.corruption, v.severity, v.label, v.label_name,
           v.predicted <> c.predicted AS flipped,
           c.correct AND NOT v.correct AS right_to_wrong,
           NOT c.correct AND v.correct AS wrong_to_right,
           c.correct AS correct_clean,
           v.correct AS correct_perturbed
    FROM predictions v
    JOIN clean c USING (dataset, run_id, split, image_id)
    WHERE v.corruption <> 'clean'
)
SELECT dataset, run_id, split, corruption, severity,
       CASE WHEN grouping(label) = 1 THEN -1 ELSE label END AS label,
       CASE WHEN grouping(label) = 1 THEN 'all' ELSE any_value(label_name) END AS label_name,
       avg(flipped::INTEGER) AS flip_rate,
       avg(right_to_wrong::INTEGER) AS right_to_wrong_rate,
       avg(wrong_to_right::INTEGER) AS wrong_to_right_rate,
       avg(correct_clean::INTEGER) AS acc_clean,
       avg(correct_perturbed::INTEGER) AS acc_perturbed,
       count(*) AS n
FROM pairs
GROUP BY GROUPING SETS ((dataset, run_id, split, corruption, severity, label),
                        (dataset, run_id, split, corruption, severity))
ORDER BY dataset, run_id, split, corruption, severity, label
