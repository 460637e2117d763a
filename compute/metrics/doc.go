// Package metrics holds the numeric evaluation core of gradprint:
// classification metrics as MedMNIST defines them, the thesis's saliency
// RMSE, failure-detection metrics in FD-Shifts conventions, confidence
// scores from logits and a seeded bootstrap.
//
// Conventions shared by every function here, so callers never guess:
//
//   - Argument order is scores first, truth second (as FD-Shifts'
//     confids/residuals), e.g. ROCAUC(scores, positive), AURC(conf, wrong).
//   - Class probabilities are a flat row-major N x C slice plus C, the layout
//     a batched model output already has.
//   - Every confidence score is oriented "higher = more confident the
//     prediction is correct": MSP, NegEntropy (= -H, so it is <= 0), and
//     Energy (= logsumexp of the logits, i.e. minus the Helmholtz energy).
//   - Ties in any score are resolved by expectation over a uniformly random
//     order of the tied items: a tie between a positive and a negative counts
//     1/2 in ROC AUC (the Mann-Whitney U statistic), and risk-coverage
//     quantities inside a block of tied confidences are interpolated
//     linearly. Every result is therefore independent of input order, and
//     equals the textbook formula exactly when there are no ties.
//   - Bad input (length mismatch, empty input, NaN, label out of range)
//     returns an error; nothing here panics on data.
package metrics
