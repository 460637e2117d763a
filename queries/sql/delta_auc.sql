-- AUC drop under each corruption and severity: AUC on the clean split minus
-- AUC on the corrupted copy (positive = worse), with the clean and corrupted
-- AUC, over all classes (class_index = -1) or per class (one-vs-rest).
-- @param dataset     string ""   dataset flag; empty = every dataset
-- @param run         string ""   run id; empty = every complete run
-- @param split       string test dataset split; empty = every split
-- @param class_index int    -1   class (one-vs-rest), -1 = all classes together; empty = every class and all
SELECT m.dataset, m.run_id, m.split, m.corruption, m.severity, m.class_index, m.class_name,
       c.value AS auc_clean,
       m.value AS auc,
       m.delta_vs_clean AS delta_auc,
       m.n
FROM metrics m
LEFT JOIN metrics c
       ON c.dataset = m.dataset AND c.run_id = m.run_id AND c.split = m.split
      AND c.corruption = 'clean' AND c.class_index = m.class_index AND c.metric = 'auc'
WHERE m.metric = 'auc' AND m.corruption <> 'clean'
  AND matches(m.dataset, $dataset)
  AND matches(m.run_id, $run)
  AND matches(m.split, $split)
  AND matches(m.class_index, $class_index)
ORDER BY m.dataset, m.run_id, m.split, m.class_index, m.corruption, m.severity
