package reports

// The row types mirror the columns of the named queries in queries/sql
// (the `col` tag names the column), so a query result decodes into them
// with DecodeRows and a figure can be redrawn from any query answer.

// LayerProfileRow is one row of the layer_profile query: the mean saliency
// RMSE of one class at one layer under one corruption and severity.
type LayerProfileRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Split      string  `col:"split"`
	Method     string  `col:"method"` // saliency method
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"`
	Selection  string  `col:"selection"` // all, correct or incorrect (clean prediction)
	Label      int     `col:"label"`     // class index; keys the class colour
	ClassName  string  `col:"label_name"`
	LayerDepth int     `col:"layer_depth"` // 0 = shallowest; orders the x axis
	Layer      string  `col:"layer"`       // e.g. layer1.0
	LayerAlias string  `col:"layer_alias"` // the thesis's label, e.g. 1_2
	MeanRMSE   float64 `col:"mean_rmse"`   // 0..255
	N          int     `col:"n"`
	// DeltaAUC is the run's overall AUC drop (clean minus corrupted) at this
	// corruption and severity; NaN when unknown.
	DeltaAUC float64 `col:"delta_auc"`
}

// RMSEBoxRow is one row of the rmse_boxes query: the distribution of the
// per-image RMSE of one class at one layer, corruption and severity, and
// that class's one-vs-rest AUC drop.
type RMSEBoxRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Split      string  `col:"split"`
	Method     string  `col:"method"`
	LayerDepth int     `col:"layer_depth"`
	Layer      string  `col:"layer"`
	LayerAlias string  `col:"layer_alias"`
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"`
	Label      int     `col:"label"`
	ClassName  string  `col:"label_name"`
	N          int     `col:"n"`
	MeanRMSE   float64 `col:"mean_rmse"`
	Q05        float64 `col:"q05"` // whisker ends: 5 % and 95 % quantiles
	Q25        float64 `col:"q25"`
	Median     float64 `col:"median"`
	Q75        float64 `col:"q75"`
	Q95        float64 `col:"q95"`
	// DeltaAUC is the class's one-vs-rest AUC drop; NaN when unknown (for
	// instance a class absent from the split), and such rows are skipped.
	DeltaAUC float64 `col:"delta_auc_class"`
}

// MontageImage is one picture of the corruption montage. Severity 0 with
// Corruption "clean" is the unmodified image.
type MontageImage struct {
	Corruption string
	Severity   int
	Pixels     []uint8 // H x W x C, row-major, C = 1 (grey) or 3 (RGB)
	H, W, C    int
}

// MapCell is one row of the saliency_grid query: one variant of one image
// at one layer, with its saliency map and the model's prediction.
type MapCell struct {
	Dataset    string    `col:"dataset"`
	Run        string    `col:"run_id"`
	Split      string    `col:"split"`
	ImageID    int       `col:"image_id"`
	ClassName  string    `col:"label_name"` // true class
	Corruption string    `col:"corruption"` // "clean" for the clean image
	Severity   int       `col:"severity"`
	LayerDepth int       `col:"layer_depth"`
	Layer      string    `col:"layer"`
	LayerAlias string    `col:"layer_alias"`
	Method     string    `col:"method"` // saliency method, e.g. gradcampp
	Predicted  string    `col:"predicted_name"`
	Confidence float64   `col:"confidence"` // softmax probability of Predicted
	H          int       `col:"height"`
	W          int       `col:"width"`
	C          int       `col:"channels"`
	Map        []float32 `col:"map"`   // H x W in 0..1, upsampled to image size
	Image      []uint8   `col:"image"` // H x W x C
}

// TrainingRow is one epoch of the training_curves query.
type TrainingRow struct {
	Dataset   string  `col:"dataset"`
	Run       string  `col:"run_id"`
	Epoch     int     `col:"epoch"`
	TrainLoss float64 `col:"train_loss"`
	ValLoss   float64 `col:"val_loss"`
	ValAUC    float64 `col:"val_auc"`
	ValACC    float64 `col:"val_acc"`
	IsBest    bool    `col:"is_best"` // the epoch whose model was kept
}

// MetricCell is one row of the auc_acc_table query: AUC and accuracy of one
// variant. The clean variant has Corruption "clean" and Severity 0.
type MetricCell struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"`
	AUC        float64 `col:"auc"`
	ACC        float64 `col:"acc"`
}

// RiskCoverage is one score's risk-coverage curve: selective risk (share of
// wrong predictions among the accepted) at each coverage (share accepted),
// coverage ascending in (0, 1].
type RiskCoverage struct {
	Score    string
	Coverage []float64
	Risk     []float64
}

// FailureMetricRow is one row of the failure_metrics query: one metric of
// one failure score with its bootstrap 95 % interval.
type FailureMetricRow struct {
	Dataset string  `col:"dataset"`
	Run     string  `col:"run_id"`
	Metric  string  `col:"metric"` // auroc_f, aurc, eaurc, augrc, fpr95
	Score   string  `col:"score_name"`
	Value   float64 `col:"value"`
	Lo      float64 `col:"ci_lo"`
	Hi      float64 `col:"ci_hi"`
	N       int     `col:"n"`
}
