-- Stored saliency maps and input pixels for the report's saliency grid: one
-- image's clean and corrupted variants at one severity, every layer, with the
-- prediction and confidence per variant. map is height x width floats in 0..1,
-- image is uint8 height x width x channels.
-- @param dataset  string ""        dataset flag; empty = every dataset
-- @param run      string ""        run id; empty = every complete run
-- @param split    string test      dataset split; empty = every split
-- @param image_id int    ""        image index within the split; empty = every stored image
-- @param severity int    3         severity of the corrupted rows (clean rows always come)
-- @param method   string gradcampp saliency method; empty = every method
SELECT dataset, run_id, split, image_id, label, label_name, corruption, severity,
       layer_depth, layer, layer_alias, method, target_class, predicted, predicted_name,
       confidence, height, width, channels, map, image
FROM maps
WHERE matches(dataset, $dataset)
  AND matches(run_id, $run)
  AND matches(split, $split)
  AND matches(image_id, $image_id)
  AND (corruption = 'clean' OR matches(severity, $severity))
  AND matches(method, $method)
ORDER BY dataset, run_id, split, label, image_id, corruption <> 'clean', corruption, severity, layer_depth
