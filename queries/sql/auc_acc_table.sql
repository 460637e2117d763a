-- AUC, accuracy and balanced accuracy of every variant (clean first, then
-- each corruption x severity), over all classes, with each metric's drop
-- relative to clean: the data of the corruption x severity heat map.
-- @param dataset string ""   dataset flag; empty = every dataset
-- @param run     string ""   run id; empty = every complete run
-- @param split   string test dataset split; empty = every split
SELECT dataset, run_id, split, corruption, severity,
       max(value) FILTER (WHERE metric = 'auc') AS auc,
       max(value) FILTER (WHERE metric = 'acc') AS acc,
       max(value) FILTER (WHERE metric = 'balanced_acc') AS balanced_acc,
       max(delta_vs_clean) FILTER (WHERE metric = 'auc') AS delta_auc,
       max(delta_vs_clean) FILTER (WHERE metric = 'acc') AS delta_acc,
       max(delta_vs_clean) FILTER (WHERE metric = 'balanced_acc') AS delta_balanced_acc,
       max(n) AS n
FROM metrics
WHERE class_index = -1
  AND matches(dataset, $dataset)
  AND matches(run_id, $run)
  AND matches(split, $split)
GROUP BY dataset, run_id, split, corruption, severity
ORDER BY dataset, run_id, split, corruption <> 'clean', corruption, severity
