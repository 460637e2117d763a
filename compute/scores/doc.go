// Package scores computes post-hoc confidence scores for a trained
// classifier (REFERENCE section 10): scores that need no retraining, only
// the logits z, the penultimate features h and, for some, statistics of the
// training or validation split.
//
// Conventions, so that callers never guess:
//
//   - Orientation: every score is oriented higher = more likely correct,
//     the convention compute/metrics' failure metrics expect (FD-Shifts'
//     confids). Distances are negated; nothing needs flipping downstream.
//   - Layouts: logits are a flat row-major n x C []float32 plus C (the
//     model's output as it comes), features a flat row-major n x D
//     []float32 plus D. Scores come back as one float64 per image, in input
//     order. Fitted state is held in float64.
//   - Fit and use are separate: a Fit function (or FitTemperature) learns
//     from one split and returns a value; scoring never refits. Which split
//     each fit must use is fixed by the method. The validation split: the
//     temperature T (FitTemperature) and the kNN k (KNN.ChooseK). The
//     training split: the Mahalanobis means and covariance
//     (FitMahalanobis, FitRelativeMahalanobis), the kNN feature bank
//     (FitKNN) and SIRC's statistics of its secondary score (FitSIRC).
//   - Nothing here looks at test labels: the only labels any function takes
//     are the training labels (class means) and the validation labels
//     (temperature, and the wrong/correct flags that choose k). Passing
//     test data to a fit would tune the score on the data it is evaluated
//     on; the functions cannot tell, so the caller must not.
//   - Bad input (length mismatch, empty input, NaN or infinite values,
//     labels out of range, a covariance that is not positive definite)
//     returns an error naming the function and the offending index; nothing
//     here panics on data.
package scores
