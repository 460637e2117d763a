-- Risk-coverage curve per failure score: images accepted in order of
-- decreasing confidence score; coverage = accepted / all, risk = wrong among
-- the accepted / accepted (FD-Shifts selective risk). One row per image.
-- @param dataset string ""   dataset flag; empty = every dataset
-- @param run     string ""   run id; empty = every complete run
-- @param split   string test split evaluated; empty = every split
SELECT dataset, run_id, split, score_name,
       CAST(row_number() OVER w AS DOUBLE) / count(*) OVER p AS coverage,
       CAST(sum(CASE WHEN correct THEN 0 ELSE 1 END) OVER w AS DOUBLE) / row_number() OVER w AS risk
FROM flags
WHERE matches(dataset, $dataset)
  AND matches(run_id, $run)
  AND matches(split, $split)
WINDOW p AS (PARTITION BY dataset, run_id, split, score_name),
       w AS (PARTITION BY dataset, run_id, split, score_name ORDER BY score DESC, image_id ROWS UNBOUNDED PRECEDING)
ORDER BY dataset, run_id, split, score_name, coverage
