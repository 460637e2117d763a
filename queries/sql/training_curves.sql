-- Training history per epoch: learning rate, training and validation loss,
-- accuracy and validation AUC, throughput, and the epoch whose model was kept.
-- @param dataset string "" dataset flag; empty = every dataset
-- @param run     string "" run id; empty = every complete run
SELECT dataset, run_id, epoch, lr, train_loss, val_loss, val_acc, val_auc,
       images_per_s, seconds, is_best
FROM training
WHERE matches(dataset, $dataset)
  AND matches(run_id, $run)
ORDER BY dataset, run_id, epoch
