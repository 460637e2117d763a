package queries

import "time"

// The typed face of every named query in sql/: its parameters (one Opt
// per @param of the header, in the header's types) and its row type (one
// field per column of the answer). TestTypedQueriesMatchTheirFiles checks
// both against the files and a real answer, so a renamed column or a new
// parameter fails there first.
//
// Parameters common to most queries: Dataset and Run pick the warehouse
// partition and run (empty: every complete one); Split the dataset split.

// AUCACCTable is auc_acc_table.sql: AUC, accuracy and balanced accuracy of
// every variant, with each metric's drop relative to clean.
func AUCACCTable() Named[AUCACCParams, AUCACCRow] {
	return Named[AUCACCParams, AUCACCRow]{"auc_acc_table"}
}

type AUCACCParams struct {
	Dataset Opt[string] `param:"dataset"`
	Run     Opt[string] `param:"run"`
	Split   Opt[string] `param:"split"`
}

// AUCACCRow is one variant; the clean one has Corruption "clean" and
// Severity 0.
type AUCACCRow struct {
	Dataset          string  `col:"dataset"`
	Run              string  `col:"run_id"`
	Split            string  `col:"split"`
	Corruption       string  `col:"corruption"`
	Severity         int     `col:"severity"`
	AUC              float64 `col:"auc"`
	ACC              float64 `col:"acc"`
	BalancedACC      float64 `col:"balanced_acc"`
	DeltaAUC         float64 `col:"delta_auc"`
	DeltaACC         float64 `col:"delta_acc"`
	DeltaBalancedACC float64 `col:"delta_balanced_acc"`
	N                int     `col:"n"`
}

// DeltaAUC is delta_auc.sql: the AUC drop under each corruption and
// severity, over all classes or per class.
func DeltaAUC() Named[DeltaAUCParams, DeltaAUCRow] {
	return Named[DeltaAUCParams, DeltaAUCRow]{"delta_auc"}
}

type DeltaAUCParams struct {
	Dataset    Opt[string] `param:"dataset"`
	Run        Opt[string] `param:"run"`
	Split      Opt[string] `param:"split"`
	ClassIndex Opt[int]    `param:"class_index"` // -1 = all classes together
}

type DeltaAUCRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Split      string  `col:"split"`
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"`
	ClassIndex int     `col:"class_index"`
	ClassName  string  `col:"class_name"`
	AUCClean   float64 `col:"auc_clean"`
	AUC        float64 `col:"auc"`
	DeltaAUC   float64 `col:"delta_auc"`
	N          int     `col:"n"`
}

// FailureMetrics is failure_metrics.sql: every failure-detection metric of
// every score with its bootstrap 95% interval.
func FailureMetrics() Named[FailureMetricsParams, FailureMetricRow] {
	return Named[FailureMetricsParams, FailureMetricRow]{"failure_metrics"}
}

type FailureMetricsParams struct {
	Dataset    Opt[string] `param:"dataset"`
	Run        Opt[string] `param:"run"`
	Split      Opt[string] `param:"split"`
	Setting    Opt[string] `param:"setting"`
	Corruption Opt[string] `param:"corruption"`
	Severity   Opt[int]    `param:"severity"`
	Regime     Opt[string] `param:"regime"`
	Metric     Opt[string] `param:"metric"`
}

type FailureMetricRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Split      string  `col:"split"`
	Setting    string  `col:"setting"` // iid, shift or mix
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"`
	Regime     string  `col:"regime"` // seen or unseen
	Metric     string  `col:"metric"` // auroc_f, aurc, eaurc, augrc, fpr95, silent_failure
	Score      string  `col:"score_name"`
	Group      string  `col:"score_group"` // the scores ranking like this one, or the score alone
	Value      float64 `col:"value"`
	Lo         float64 `col:"ci_lo"`
	Hi         float64 `col:"ci_hi"`
	N          int     `col:"n"`
	NBoot      int     `col:"n_boot"`
}

// FlipRates is flip_rates.sql: how often a corruption changes the
// prediction, over all classes (Label -1) and per true class.
func FlipRates() Named[FlipRatesParams, FlipRateRow] {
	return Named[FlipRatesParams, FlipRateRow]{"flip_rates"}
}

type FlipRatesParams struct {
	Dataset Opt[string] `param:"dataset"`
	Run     Opt[string] `param:"run"`
	Split   Opt[string] `param:"split"`
}

type FlipRateRow struct {
	Dataset          string  `col:"dataset"`
	Run              string  `col:"run_id"`
	Split            string  `col:"split"`
	Corruption       string  `col:"corruption"`
	Severity         int     `col:"severity"`
	Label            int     `col:"label"`
	ClassName        string  `col:"label_name"`
	FlipRate         float64 `col:"flip_rate"`
	RightToWrongRate float64 `col:"right_to_wrong_rate"`
	WrongToRightRate float64 `col:"wrong_to_right_rate"`
	ACCClean         float64 `col:"acc_clean"`
	ACCPerturbed     float64 `col:"acc_perturbed"`
	N                int     `col:"n"`
}

// LayerProfile is layer_profile.sql: per class and layer, the mean
// saliency RMSE under each corruption and severity (the thesis's Figure
// 3.1), for all images and split by the clean prediction's outcome.
func LayerProfile() Named[LayerProfileParams, LayerProfileRow] {
	return Named[LayerProfileParams, LayerProfileRow]{"layer_profile"}
}

type LayerProfileParams struct {
	Dataset   Opt[string] `param:"dataset"`
	Run       Opt[string] `param:"run"`
	Split     Opt[string] `param:"split"`
	Method    Opt[string] `param:"method"`
	Selection Opt[string] `param:"selection"` // all, correct or incorrect
	Severity  Opt[int]    `param:"severity"`
}

type LayerProfileRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Split      string  `col:"split"`
	Method     string  `col:"method"` // saliency method
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"`
	Label      int     `col:"label"` // class index; keys the class colour
	ClassName  string  `col:"label_name"`
	LayerDepth int     `col:"layer_depth"` // 0 = shallowest; orders the x axis
	Layer      string  `col:"layer"`
	LayerAlias string  `col:"layer_alias"` // the thesis's label, e.g. 1_2
	Selection  string  `col:"selection"`   // all, correct or incorrect (clean prediction)
	MeanRMSE   float64 `col:"mean_rmse"`   // 0..255
	SDRMSE     float64 `col:"sd_rmse"`     // NaN for a single image
	N          int     `col:"n"`
	// DeltaAUC is the run's overall AUC drop (clean minus corrupted) at this
	// corruption and severity, DeltaAUCClass the class's one-vs-rest drop;
	// NaN when unknown.
	DeltaAUC      float64 `col:"delta_auc"`
	DeltaAUCClass float64 `col:"delta_auc_class"`
}

// RiskCoverage is risk_coverage.sql: one point per image of each score's
// risk-coverage curve, coverage ascending.
func RiskCoverage() Named[RiskCoverageParams, RiskCoverageRow] {
	return Named[RiskCoverageParams, RiskCoverageRow]{"risk_coverage"}
}

type RiskCoverageParams struct {
	Dataset Opt[string] `param:"dataset"`
	Run     Opt[string] `param:"run"`
	Split   Opt[string] `param:"split"`
}

type RiskCoverageRow struct {
	Dataset  string  `col:"dataset"`
	Run      string  `col:"run_id"`
	Split    string  `col:"split"`
	Score    string  `col:"score_name"`
	Coverage float64 `col:"coverage"`
	Risk     float64 `col:"risk"`
}

// RMSEAUCCorrelation is rmse_auc_correlation.sql: per layer and
// corruption, Pearson and Spearman correlation of delta AUC and mean RMSE.
func RMSEAUCCorrelation() Named[RMSEAUCCorrelationParams, RMSEAUCCorrelationRow] {
	return Named[RMSEAUCCorrelationParams, RMSEAUCCorrelationRow]{"rmse_auc_correlation"}
}

type RMSEAUCCorrelationParams struct {
	Dataset Opt[string] `param:"dataset"`
	Run     Opt[string] `param:"run"`
	Split   Opt[string] `param:"split"`
	Method  Opt[string] `param:"method"`
}

type RMSEAUCCorrelationRow struct {
	Dataset      string  `col:"dataset"`
	Run          string  `col:"run_id"`
	Split        string  `col:"split"`
	Method       string  `col:"method"`
	LayerDepth   int     `col:"layer_depth"`
	Layer        string  `col:"layer"`
	LayerAlias   string  `col:"layer_alias"`
	Corruption   string  `col:"corruption"` // "all" pools every corruption
	Pearson      float64 `col:"pearson"`    // NaN when n < 3 or a side is constant
	Spearman     float64 `col:"spearman"`
	N            int     `col:"n"`
	MeanRMSE     float64 `col:"mean_rmse"`
	MeanDeltaAUC float64 `col:"mean_delta_auc"`
}

// RMSEBoxes is rmse_boxes.sql: the per-image RMSE distribution per layer,
// corruption, severity and class, against the class's delta AUC (the
// thesis's Figures 3.3 to 3.11).
func RMSEBoxes() Named[RMSEBoxesParams, RMSEBoxRow] {
	return Named[RMSEBoxesParams, RMSEBoxRow]{"rmse_boxes"}
}

type RMSEBoxesParams struct {
	Dataset  Opt[string] `param:"dataset"`
	Run      Opt[string] `param:"run"`
	Split    Opt[string] `param:"split"`
	Method   Opt[string] `param:"method"`
	Severity Opt[int]    `param:"severity"`
}

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
	// instance a class absent from the split).
	DeltaAUC float64 `col:"delta_auc_class"`
}

// RMSECorrectVsWrong is rmse_correct_vs_wrong.sql: per layer, the RMSE
// distribution of images whose clean prediction was correct or wrong.
func RMSECorrectVsWrong() Named[RMSECorrectVsWrongParams, RMSECorrectVsWrongRow] {
	return Named[RMSECorrectVsWrongParams, RMSECorrectVsWrongRow]{"rmse_correct_vs_wrong"}
}

type RMSECorrectVsWrongParams struct {
	Dataset    Opt[string] `param:"dataset"`
	Run        Opt[string] `param:"run"`
	Split      Opt[string] `param:"split"`
	Method     Opt[string] `param:"method"`
	Corruption Opt[string] `param:"corruption"`
	Severity   Opt[int]    `param:"severity"`
}

type RMSECorrectVsWrongRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Split      string  `col:"split"`
	Method     string  `col:"method"`
	LayerDepth int     `col:"layer_depth"`
	Layer      string  `col:"layer"`
	LayerAlias string  `col:"layer_alias"`
	Outcome    string  `col:"outcome"` // correct or wrong
	N          int     `col:"n"`
	MeanRMSE   float64 `col:"mean_rmse"`
	Q05        float64 `col:"q05"`
	Q25        float64 `col:"q25"`
	Median     float64 `col:"median"`
	Q75        float64 `col:"q75"`
	Q95        float64 `col:"q95"`
}

// Runs is runs.sql: every run, complete or not, with its status over all
// shards.
func Runs() Named[RunsParams, RunRow] { return Named[RunsParams, RunRow]{"runs"} }

type RunsParams struct {
	Dataset Opt[string] `param:"dataset"`
	Kind    Opt[string] `param:"kind"`
}

type RunRow struct {
	Dataset          string    `col:"dataset"`
	Run              string    `col:"run_id"`
	Kind             string    `col:"kind"`
	Status           string    `col:"status"` // complete only when every shard is
	ShardsSeen       int       `col:"shards_seen"`
	Shards           int       `col:"shards"`
	ChunksDone       int       `col:"chunks_done"`
	StartedAt        time.Time `col:"started_at"`
	FinishedAt       time.Time `col:"finished_at"` // zero while any shard runs
	Seed             uint64    `col:"seed"`
	GradprintVersion string    `col:"gradprint_version"`
	ModelSHA256      string    `col:"model_sha256"`
	ParentRun        string    `col:"parent_run_id"`
	Error            string    `col:"error"`
	Seconds          float64   `col:"seconds"` // NaN while running
	Visible          bool      `col:"visible"` // whether other queries see the run
}

// SaliencyGrid is saliency_grid.sql: the stored maps and pixels of one
// image's clean and corrupted variants at one severity, every layer.
func SaliencyGrid() Named[SaliencyGridParams, SaliencyGridRow] {
	return Named[SaliencyGridParams, SaliencyGridRow]{"saliency_grid"}
}

type SaliencyGridParams struct {
	Dataset  Opt[string] `param:"dataset"`
	Run      Opt[string] `param:"run"`
	Split    Opt[string] `param:"split"`
	ImageID  Opt[int]    `param:"image_id"`
	Severity Opt[int]    `param:"severity"` // clean rows always come
	Method   Opt[string] `param:"method"`
}

// SaliencyGridRow is one variant of one image at one layer, with its map
// and the model's prediction.
type SaliencyGridRow struct {
	Dataset     string    `col:"dataset"`
	Run         string    `col:"run_id"`
	Split       string    `col:"split"`
	ImageID     int       `col:"image_id"`
	Label       int       `col:"label"`
	ClassName   string    `col:"label_name"` // true class
	Corruption  string    `col:"corruption"` // "clean" for the clean image
	Severity    int       `col:"severity"`
	LayerDepth  int       `col:"layer_depth"`
	Layer       string    `col:"layer"`
	LayerAlias  string    `col:"layer_alias"`
	Method      string    `col:"method"` // saliency method, e.g. gradcampp
	TargetClass int       `col:"target_class"`
	PredictedID int       `col:"predicted"`
	Predicted   string    `col:"predicted_name"`
	Confidence  float64   `col:"confidence"` // softmax probability of Predicted
	H           int       `col:"height"`
	W           int       `col:"width"`
	C           int       `col:"channels"`
	Map         []float32 `col:"map"`   // H x W in 0..1, upsampled to image size
	Image       []uint8   `col:"image"` // H x W x C
}

// TrainingCurves is training_curves.sql: a training run's history per
// epoch.
func TrainingCurves() Named[TrainingCurvesParams, TrainingCurveRow] {
	return Named[TrainingCurvesParams, TrainingCurveRow]{"training_curves"}
}

type TrainingCurvesParams struct {
	Dataset Opt[string] `param:"dataset"`
	Run     Opt[string] `param:"run"`
}

type TrainingCurveRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Epoch      int     `col:"epoch"`
	LR         float64 `col:"lr"`
	TrainLoss  float64 `col:"train_loss"`
	ValLoss    float64 `col:"val_loss"`
	ValACC     float64 `col:"val_acc"`
	ValAUC     float64 `col:"val_auc"`
	ImagesPerS float64 `col:"images_per_s"`
	Seconds    float64 `col:"seconds"`
	IsBest     bool    `col:"is_best"` // the epoch whose model was kept
}

// FailureBySeverity is failure_by_severity.sql: a failure metric of every
// score against severity, per corruption, clean as severity 0.
func FailureBySeverity() Named[FailureBySeverityParams, FailureBySeverityRow] {
	return Named[FailureBySeverityParams, FailureBySeverityRow]{"failure_by_severity"}
}

type FailureBySeverityParams struct {
	Dataset Opt[string] `param:"dataset"`
	Run     Opt[string] `param:"run"`
	Metric  Opt[string] `param:"metric"`
	Regime  Opt[string] `param:"regime"`
	Score   Opt[string] `param:"score"`
}

type FailureBySeverityRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"` // 0 = the clean test split
	Regime     string  `col:"regime"`
	Metric     string  `col:"metric"`
	Score      string  `col:"score_name"`
	Group      string  `col:"score_group"`
	Value      float64 `col:"value"`
	Lo         float64 `col:"ci_lo"`
	Hi         float64 `col:"ci_hi"`
	N          int     `col:"n"`
}

// SilentFailures is silent_failures.sql: wrong yet accepted, per setting
// and score, beside the setting's error rate.
func SilentFailures() Named[SettingParams, SilentFailureRow] {
	return Named[SettingParams, SilentFailureRow]{"silent_failures"}
}

// SettingParams filter the per-setting failure answers (silent failures
// and the risk guarantee) alike.
type SettingParams struct {
	Dataset Opt[string] `param:"dataset"`
	Run     Opt[string] `param:"run"`
	Setting Opt[string] `param:"setting"` // iid, shift or mix
	Regime  Opt[string] `param:"regime"`  // seen or unseen
	Score   Opt[string] `param:"score"`
}

type SilentFailureRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Setting    string  `col:"setting"`
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"`
	Regime     string  `col:"regime"`
	Score      string  `col:"score_name"`
	Group      string  `col:"score_group"`
	Silent     float64 `col:"silent_failure"`
	Lo         float64 `col:"ci_lo"`
	Hi         float64 `col:"ci_hi"`
	ErrorRate  float64 `col:"error_rate"` // NaN for a mix: its images are drawn per run
	N          int     `col:"n"`
}

// RiskGuarantee is risk_guarantee.sql: the SGR promise made on clean
// validation against the risk and coverage it gives on each test setting.
func RiskGuarantee() Named[SettingParams, RiskGuaranteeRow] {
	return Named[SettingParams, RiskGuaranteeRow]{"risk_guarantee"}
}

type RiskGuaranteeRow struct {
	Dataset      string  `col:"dataset"`
	Run          string  `col:"run_id"`
	Setting      string  `col:"setting"`
	Corruption   string  `col:"corruption"`
	Severity     int     `col:"severity"`
	Regime       string  `col:"regime"`
	Score        string  `col:"score_name"`
	TargetRisk   float64 `col:"target_risk"`
	Delta        float64 `col:"delta"`
	Bound        float64 `col:"bound"`
	CalCoverage  float64 `col:"cal_coverage"`
	CalRisk      float64 `col:"cal_risk"`
	TestCoverage float64 `col:"test_coverage"`
	TestRisk     float64 `col:"test_risk"`
	Holds        bool    `col:"holds"` // test risk at or below the target (true when nothing was accepted)
	N            int     `col:"n"`
}

// DegradedInputDetection is degraded_input_detection.sql: AUROC of clean
// against degraded test images per corruption x severity and score.
func DegradedInputDetection() Named[DegradedInputParams, DegradedInputRow] {
	return Named[DegradedInputParams, DegradedInputRow]{"degraded_input_detection"}
}

type DegradedInputParams struct {
	Dataset    Opt[string] `param:"dataset"`
	Run        Opt[string] `param:"run"`
	Regime     Opt[string] `param:"regime"`
	Corruption Opt[string] `param:"corruption"`
	Score      Opt[string] `param:"score"`
}

type DegradedInputRow struct {
	Dataset    string  `col:"dataset"`
	Run        string  `col:"run_id"`
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"`
	Regime     string  `col:"regime"`
	Score      string  `col:"score_name"`
	AUROC      float64 `col:"auroc"`
	Lo         float64 `col:"ci_lo"`
	Hi         float64 `col:"ci_hi"`
	NClean     int     `col:"n_clean"`
	NDegraded  int     `col:"n_degraded"`
}

// RunComparison is run_comparison.sql: two analyze runs side by side, the
// AUC drop per corruption and severity and the mean saliency RMSE per
// layer (a plain model against an augmented one, say).
func RunComparison() Named[RunComparisonParams, RunComparisonRow] {
	return Named[RunComparisonParams, RunComparisonRow]{"run_comparison"}
}

type RunComparisonParams struct {
	RunA   Opt[string] `param:"run_a"`
	RunB   Opt[string] `param:"run_b"`
	Split  Opt[string] `param:"split"`
	Method Opt[string] `param:"method"`
}

// RunComparisonRow is one measure at one corruption and severity (and,
// for mean_rmse, one layer) of both runs.
type RunComparisonRow struct {
	Measure    string  `col:"measure"` // delta_auc or mean_rmse
	Corruption string  `col:"corruption"`
	Severity   int     `col:"severity"`
	LayerDepth int     `col:"layer_depth"` // -1 for delta_auc
	Layer      string  `col:"layer"`
	LayerAlias string  `col:"layer_alias"`
	A          float64 `col:"value_a"` // NaN where run a lacks the cell
	B          float64 `col:"value_b"`
	Difference float64 `col:"difference"` // b - a
	NA         int     `col:"n_a"`
	NB         int     `col:"n_b"`
	RunA       string  `col:"run_a"`
	RunB       string  `col:"run_b"`
	AugmentA   string  `col:"augment_a"`
	AugmentB   string  `col:"augment_b"`
}
