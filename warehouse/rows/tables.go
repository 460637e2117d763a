// Package rows defines one Go struct per warehouse table and the sink that
// compute writes them through. It is the seam between the steps that
// compute results and the store that keeps them: it imports no storage
// library, so compute packages (and their test binaries) link neither
// parquet-go nor DuckDB.
//
// A table is defined once, here: its row type (struct tags give the
// Parquet column, the documentation, unit and range of each field) and its
// entry in Tables. The warehouse writes any of these types through one
// generic writer, and docs/schema.md is generated from the same structs.
package rows

import (
	"fmt"
	"reflect"
	"time"
)

// Row types below are the single definition of every table. Each field
// carries:
//   - a `parquet` tag (column name and encoding, read by parquet-go),
//   - a `doc` tag (meaning), `unit` and `range` tags, from which
//     docs/schema.md and `gradprint schema` are generated.
//
// Columns use the narrowest type that analysts will not trip over: int32 for
// small integers (DuckDB INTEGER, pandas int32), float32 for per-image
// measurements, float64 for aggregates. Strings are dictionary-encoded since
// nearly all of them repeat (split, corruption, layer, method, class names).
// The partition keys dataset and run are not stored inside the files: they
// are in the path (dataset=<flag>/run=<run_id>), and readers with Hive
// partitioning (DuckDB, pyarrow, polars) add them back as columns. run_id is
// kept in the files so that one file read on its own still says where it
// came from.

// RunMeta is one row of the runs table: one per run and shard, rewritten
// atomically whenever the run's status changes.
type RunMeta struct {
	RunID            string     `parquet:"run_id,dict" doc:"run identifier; also the run=<run_id> partition key" range:"[A-Za-z0-9._-]+"`
	Dataset          string     `parquet:"-" doc:"dataset flag; stored in the dataset=<flag> partition key, not in the file" range:"e.g. breastmnist, synthetic"`
	Kind             string     `parquet:"kind,dict" doc:"what the run did" range:"train, analyze, flag, eval, ..."`
	Status           string     `parquet:"status,dict" doc:"state of this shard of the run; a run is complete when all its shards are" range:"running, complete, failed"`
	StartedAt        time.Time  `parquet:"started_at,timestamp(microsecond)" doc:"when this shard of the run first started" unit:"UTC timestamp"`
	UpdatedAt        time.Time  `parquet:"updated_at,timestamp(microsecond)" doc:"when this row was last rewritten (start, each committed chunk, resume, update, finish): a stale value on a running shard means its writer died" unit:"UTC timestamp"`
	FinishedAt       *time.Time `parquet:"finished_at,optional,timestamp(microsecond)" doc:"when the shard finished; NULL while running" unit:"UTC timestamp"`
	Seed             uint64     `parquet:"seed" doc:"run seed from which every random draw derives" range:"0..2^64-1"`
	ConfigJSON       string     `parquet:"config_json" doc:"full configuration of the run (flags or study file) as JSON" unit:"JSON text"`
	GradprintVersion string     `parquet:"gradprint_version,dict" doc:"gradprint version (module version or VCS revision)"`
	GoVersion        string     `parquet:"go_version,dict" doc:"Go toolchain that built gradprint" range:"e.g. go1.26.0"`
	ModelSHA256      string     `parquet:"model_sha256,dict" doc:"SHA-256 of the model weights file used or produced; empty if none" unit:"64 hex digits"`
	ParentRunID      string     `parquet:"parent_run_id,dict" doc:"run this one builds on (e.g. the train run whose model analyze used); empty if none"`
	TimingsJSON      string     `parquet:"timings_json" doc:"wall time per step of the run as JSON" unit:"JSON object of seconds"`
	ShardIndex       int32      `parquet:"shard_index" doc:"which shard of the run this row describes" range:"0..shard_count-1"`
	ShardCount       int32      `parquet:"shard_count" doc:"number of shards the run was split into" range:">= 1"`
	ChunksDone       int32      `parquet:"chunks_done" doc:"chunks of this shard committed when the row was written" range:">= 0"`
	Host             string     `parquet:"host,dict" doc:"host name of the machine that ran the shard"`
	Error            string     `parquet:"error" doc:"error message when status is failed; empty otherwise"`
	BuildJSON        string     `parquet:"build_json" doc:"the binary that wrote this shard: version, commit, Go, platform, GEMM backend, OpenBLAS build and core type (with openblas_coretype, the OPENBLAS_CORETYPE that chose it, when set), CPU model, threads and whether it is the deterministic build (what gradprint version --json prints); empty in runs from before it was recorded" unit:"JSON object"`
}

// Training is one epoch of a training run.
type Training struct {
	RunID      string  `parquet:"run_id,dict" doc:"run identifier"`
	Epoch      int32   `parquet:"epoch" doc:"epoch number, first epoch is 1" range:">= 1"`
	LR         float64 `parquet:"lr" doc:"learning rate used during the epoch" range:"> 0"`
	TrainLoss  float64 `parquet:"train_loss" doc:"mean cross-entropy over the training batches of the epoch" unit:"nats" range:">= 0"`
	ValLoss    float64 `parquet:"val_loss" doc:"mean cross-entropy on the validation split after the epoch" unit:"nats" range:">= 0"`
	ValAUC     float64 `parquet:"val_auc" doc:"validation AUC (binary: ROC AUC of p(class 1); multi-class: mean one-vs-rest AUC)" range:"0..1"`
	ValAcc     float64 `parquet:"val_acc" doc:"validation accuracy" unit:"fraction" range:"0..1"`
	ImagesPerS float64 `parquet:"images_per_s" doc:"training throughput during the epoch" unit:"images/s" range:"> 0"`
	Seconds    float64 `parquet:"seconds" doc:"wall time of the epoch including validation" unit:"s" range:"> 0"`
	IsBest     bool    `parquet:"is_best" doc:"true for the epoch whose model was kept (best validation AUC so far at the end of training)"`
	Augment    string  `parquet:"augment,dict" doc:"training augmentation: none, thesis (every image and all its corrupted copies each epoch) or random p=P (each sample corrupted with probability P); null in runs from before augmentation existed" range:"none, thesis, random p=..."`
	Samples    int32   `parquet:"samples" doc:"training samples seen in the epoch (images x variants under thesis augmentation); 0 in runs from before augmentation existed" range:">= 0"`
}

// Prediction is one image x variant (clean or one corruption at one severity).
type Prediction struct {
	RunID         string    `parquet:"run_id,dict" doc:"run identifier"`
	Split         string    `parquet:"split,dict" doc:"dataset split the image comes from" range:"train, val, test"`
	ImageID       int32     `parquet:"image_id" doc:"index of the image within its split (row of the npz array)" range:">= 0"`
	Label         int32     `parquet:"label" doc:"true class index" range:"0..classes-1"`
	LabelName     string    `parquet:"label_name,dict" doc:"true class name"`
	Corruption    string    `parquet:"corruption,dict" doc:"corruption applied; clean for the unmodified image" range:"clean, gaussian_noise, speckle_noise, motion_blur, contrast, brightness, ..."`
	Severity      int32     `parquet:"severity" doc:"corruption severity; 0 for clean" range:"0..5"`
	Preset        string    `parquet:"preset,dict" doc:"name of the corruption constant set" range:"e.g. imagenet-c, cifar-c, medmnist-c"`
	Predicted     int32     `parquet:"predicted" doc:"predicted class index (argmax of the scores)" range:"0..classes-1"`
	PredictedName string    `parquet:"predicted_name,dict" doc:"predicted class name"`
	Correct       bool      `parquet:"correct" doc:"predicted = label"`
	Confidence    float32   `parquet:"confidence,split" doc:"maximum softmax probability (MSP)" unit:"probability" range:"1/classes..1"`
	Entropy       float32   `parquet:"entropy,split" doc:"entropy of the softmax distribution" unit:"nats" range:"0..ln(classes)"`
	Energy        float32   `parquet:"energy,split" doc:"logsumexp of the logits (higher = more confident)" unit:"logit units"`
	Scores        []float32 `parquet:"scores,list" doc:"softmax probability per class, index = class" unit:"probability" range:"each 0..1, sum 1"`
	Selected      bool      `parquet:"selected" doc:"image was chosen for saliency analysis (per-class sampling and selection rule)"`
}

// Saliency is one image x variant x layer x method: how much the saliency map
// of the variant differs from the clean image's map.
type Saliency struct {
	RunID               string  `parquet:"run_id,dict" doc:"run identifier"`
	Split               string  `parquet:"split,dict" doc:"dataset split" range:"train, val, test"`
	ImageID             int32   `parquet:"image_id" doc:"index of the image within its split" range:">= 0"`
	Label               int32   `parquet:"label" doc:"true class index" range:"0..classes-1"`
	LabelName           string  `parquet:"label_name,dict" doc:"true class name"`
	Corruption          string  `parquet:"corruption,dict" doc:"corruption of the perturbed variant" range:"gaussian_noise, speckle_noise, motion_blur, contrast, brightness, ..."`
	Severity            int32   `parquet:"severity" doc:"corruption severity" range:"1..5"`
	Preset              string  `parquet:"preset,dict" doc:"name of the corruption constant set"`
	Layer               string  `parquet:"layer,dict" doc:"layer in depth-order naming (output of conv2, before bn2)" range:"layer1.0.conv2 .. layer4.1.conv2"`
	LayerAlias          string  `parquet:"layer_alias,dict" doc:"the thesis's label of the layer (_1 = last block of the stage, _2 = first)" range:"1_1 .. 4_2"`
	LayerDepth          int32   `parquet:"layer_depth" doc:"position of the layer in depth order: layer1.0.conv2 = 0, layer1.1.conv2 = 1, ..., layer4.1.conv2 = 7" range:"0..7"`
	Method              string  `parquet:"method,dict" doc:"saliency method" range:"gradcampp, gradcam, layercam"`
	TargetClass         int32   `parquet:"target_class" doc:"class whose score was differentiated for both maps (default: argmax on the clean image)" range:"0..classes-1"`
	TargetName          string  `parquet:"target_name,dict" doc:"name of target_class"`
	RMSE                float32 `parquet:"rmse,split" doc:"RMSE between the clean and perturbed maps, each min-max scaled to uint8 at the layer's native resolution (the thesis's measure)" unit:"uint8 grey levels" range:"0..255"`
	RMSEFloat           float32 `parquet:"rmse_float,split" doc:"RMSE between the clean and perturbed maps, each min-max normalised to 0..1 in float32 (no rounding)" unit:"normalised map units" range:"0..1"`
	PredClean           int32   `parquet:"pred_clean" doc:"predicted class on the clean image" range:"0..classes-1"`
	PredCleanName       string  `parquet:"pred_clean_name,dict" doc:"name of pred_clean"`
	PredPerturbed       int32   `parquet:"pred_perturbed" doc:"predicted class on the perturbed image" range:"0..classes-1"`
	PredPerturbedName   string  `parquet:"pred_perturbed_name,dict" doc:"name of pred_perturbed"`
	PredChanged         bool    `parquet:"pred_changed" doc:"pred_perturbed != pred_clean (a prediction flip)"`
	CorrectClean        bool    `parquet:"correct_clean" doc:"pred_clean = label"`
	CorrectPerturbed    bool    `parquet:"correct_perturbed" doc:"pred_perturbed = label"`
	ConfidenceClean     float32 `parquet:"confidence_clean,split" doc:"maximum softmax probability on the clean image" unit:"probability" range:"1/classes..1"`
	ConfidencePerturbed float32 `parquet:"confidence_perturbed,split" doc:"maximum softmax probability on the perturbed image" unit:"probability" range:"1/classes..1"`
}

// Metric is one classification metric of one variant, over all classes or
// one class.
type Metric struct {
	RunID        string  `parquet:"run_id,dict" doc:"run identifier"`
	Split        string  `parquet:"split,dict" doc:"dataset split the metric was computed on" range:"train, val, test"`
	Corruption   string  `parquet:"corruption,dict" doc:"variant; clean for the unmodified split"`
	Severity     int32   `parquet:"severity" doc:"corruption severity; 0 for clean" range:"0..5"`
	Preset       string  `parquet:"preset,dict" doc:"name of the corruption constant set"`
	ClassIndex   int32   `parquet:"class_index" doc:"class the metric is restricted to (one-vs-rest), or -1 for all classes" range:"-1..classes-1"`
	ClassName    string  `parquet:"class_name,dict" doc:"name of class_index; all when class_index = -1"`
	Metric       string  `parquet:"metric,dict" doc:"which metric: auc (binary ROC AUC of p(class 1), multi-class mean one-vs-rest; per class: one-vs-rest AUC of p(class)), acc, balanced_acc (per class: recall)" range:"auc, acc, balanced_acc"`
	Value        float64 `parquet:"value" doc:"metric value" unit:"fraction" range:"0..1"`
	DeltaVsClean float64 `parquet:"delta_vs_clean" doc:"value on clean minus value on this variant (positive = worse under corruption; 0 for clean)" unit:"fraction" range:"-1..1"`
	N            int32   `parquet:"n" doc:"number of images the metric was computed on" range:">= 0"`
}

// Map is a stored saliency map with its input image, for the first K selected
// images per class, so that reports draw saliency grids without a model.
type Map struct {
	RunID         string    `parquet:"run_id,dict" doc:"run identifier"`
	Split         string    `parquet:"split,dict" doc:"dataset split" range:"train, val, test"`
	ImageID       int32     `parquet:"image_id" doc:"index of the image within its split" range:">= 0"`
	Label         int32     `parquet:"label" doc:"true class index" range:"0..classes-1"`
	LabelName     string    `parquet:"label_name,dict" doc:"true class name"`
	Corruption    string    `parquet:"corruption,dict" doc:"variant; clean for the unmodified image"`
	Severity      int32     `parquet:"severity" doc:"corruption severity; 0 for clean" range:"0..5"`
	Layer         string    `parquet:"layer,dict" doc:"layer in depth-order naming" range:"layer1.0.conv2 .. layer4.1.conv2"`
	LayerAlias    string    `parquet:"layer_alias,dict" doc:"the thesis's label of the layer" range:"1_1 .. 4_2"`
	LayerDepth    int32     `parquet:"layer_depth" doc:"position of the layer in depth order" range:"0..7"`
	Method        string    `parquet:"method,dict" doc:"saliency method" range:"gradcampp, gradcam, layercam"`
	TargetClass   int32     `parquet:"target_class" doc:"class whose score was differentiated" range:"0..classes-1"`
	Height        int32     `parquet:"height" doc:"map and image height (input resolution)" unit:"pixels" range:">= 1"`
	Width         int32     `parquet:"width" doc:"map and image width (input resolution)" unit:"pixels" range:">= 1"`
	Channels      int32     `parquet:"channels" doc:"channels of image" range:"1 or 3"`
	SaliencyMap   []float32 `parquet:"map,list" doc:"saliency map upsampled to the input resolution, row-major height x width, min-max normalised" unit:"normalised saliency" range:"each 0..1"`
	Image         []byte    `parquet:"image" doc:"input pixels of this variant, uint8 row-major height x width x channels (HWC)" unit:"uint8 grey levels"`
	Predicted     int32     `parquet:"predicted" doc:"predicted class on this variant" range:"0..classes-1"`
	PredictedName string    `parquet:"predicted_name,dict" doc:"name of predicted"`
	Confidence    float32   `parquet:"confidence" doc:"maximum softmax probability on this variant" unit:"probability" range:"1/classes..1"`
}

// Fingerprint is one incoming image, as the model received it (a split's
// image, clean, or one of its corrupted copies): its prediction and its
// gradient fingerprint, computed from that image alone.
type Fingerprint struct {
	RunID         string    `parquet:"run_id,dict" doc:"run identifier"`
	Split         string    `parquet:"split,dict" doc:"dataset split the image comes from" range:"train, val, test"`
	ImageID       int32     `parquet:"image_id" doc:"index of the image within its split" range:">= 0"`
	Label         int32     `parquet:"label" doc:"true class index" range:"0..classes-1"`
	LabelName     string    `parquet:"label_name,dict" doc:"true class name"`
	Corruption    string    `parquet:"corruption,dict" doc:"how the incoming image was degraded; clean for the image as acquired" range:"clean, gaussian_noise, speckle_noise, motion_blur, contrast, brightness, ..."`
	Severity      int32     `parquet:"severity" doc:"severity of the degradation; 0 for clean" range:"0..5"`
	Preset        string    `parquet:"preset,dict" doc:"corruption constants of the degradation and of the probes" range:"e.g. imagenet-c"`
	Predicted     int32     `parquet:"predicted" doc:"predicted class of the incoming image" range:"0..classes-1"`
	PredictedName string    `parquet:"predicted_name,dict" doc:"predicted class name"`
	Correct       bool      `parquet:"correct" doc:"predicted = label; a failure is a wrong prediction on the incoming image"`
	Logits        []float32 `parquet:"logits,list" doc:"the model's logits, index = class" unit:"logit units"`
	Features      []float32 `parquet:"features,list" doc:"the gradient fingerprint: map statistics per layer and, with probes, map RMSE and prediction changes under the probe set; names in the run's config_json (feature_names) and docs/schema.md" unit:"see feature names"`
}

// Embedding is the penultimate features of one incoming image (the global
// average pool of ResNet18's last block), which feature-distance scores
// (Mahalanobis, kNN, GradNorm) read.
type Embedding struct {
	RunID      string    `parquet:"run_id,dict" doc:"run identifier"`
	Split      string    `parquet:"split,dict" doc:"dataset split the image comes from" range:"train, val, test"`
	ImageID    int32     `parquet:"image_id" doc:"index of the image within its split" range:">= 0"`
	Label      int32     `parquet:"label" doc:"true class index" range:"0..classes-1"`
	Corruption string    `parquet:"corruption,dict" doc:"how the incoming image was degraded; clean for the image as acquired"`
	Severity   int32     `parquet:"severity" doc:"severity of the degradation; 0 for clean" range:"0..5"`
	Predicted  int32     `parquet:"predicted" doc:"predicted class of the incoming image" range:"0..classes-1"`
	H          []float32 `parquet:"h,list" doc:"penultimate features, D = 512 x model width values" unit:"activation units"`
}

// Flag is one image x failure score: the score, and whether the image was
// flagged as a likely wrong prediction.
type Flag struct {
	RunID     string  `parquet:"run_id,dict" doc:"run identifier"`
	Split     string  `parquet:"split,dict" doc:"dataset split (or input for new images)" range:"val, test, input"`
	ImageID   int32   `parquet:"image_id" doc:"index of the image within its split or input" range:">= 0"`
	Source    string  `parquet:"source,dict" doc:"file the image came from for new images; empty for dataset splits"`
	ScoreName string  `parquet:"score_name,dict" doc:"failure score: confidence baselines or the fitted detector" range:"msp, entropy, energy, flips, detector, detector_msp, ..."`
	Score     float64 `parquet:"score" doc:"confidence score, oriented so that higher means more likely correct" unit:"score units"`
	Predicted int32   `parquet:"predicted" doc:"predicted class on the clean image" range:"0..classes-1"`
	Label     int32   `parquet:"label" doc:"true class index; -1 when unknown (new images)" range:"-1..classes-1"`
	Correct   bool    `parquet:"correct" doc:"predicted = label (false when label unknown)"`
	Threshold float64 `parquet:"threshold" doc:"score threshold below which an image is flagged" unit:"score units"`
	Flagged   bool    `parquet:"flagged" doc:"score < threshold: the prediction is flagged as likely wrong"`
	// Written by flag since the failure study under shift; NULL in older files.
	DegradationScore float64 `parquet:"degradation_score" doc:"the degradation detector's score of the input, higher = more like a clean acquisition (flag only)" unit:"score units"`
	Degraded         bool    `parquet:"degraded" doc:"the input is flagged as degraded at acquisition: its degradation score is below the threshold that accepts 95% of the clean validation images (flag only)"`
}

// Score is one score of one incoming image in a failure study: every
// val and test image clean and under every corruption x severity.
type Score struct {
	RunID      string  `parquet:"run_id,dict" doc:"run identifier (a failure run)"`
	Split      string  `parquet:"split,dict" doc:"split of the image" range:"test"`
	ImageID    int32   `parquet:"image_id" doc:"index of the image within its split" range:">= 0"`
	Corruption string  `parquet:"corruption,dict" doc:"how the incoming image was degraded; clean for the image as acquired"`
	Severity   int32   `parquet:"severity" doc:"severity of the degradation; 0 for clean" range:"0..5"`
	ScoreName  string  `parquet:"score_name,dict" doc:"confidence score" range:"msp, temp_msp, max_logit, energy, entropy, doctor, margin, mahalanobis, knn, gradnorm, flips, fp_distance, detector, detector_msp, sirc, degradation"`
	Regime     string  `parquet:"regime,dict" doc:"seen: learned scores fitted on clean and corrupted validation images of every corruption; unseen: fitted without this image's corruption (the same value as seen for scores that learn nothing from corrupted images)" range:"seen, unseen"`
	Value      float64 `parquet:"value" doc:"the score, oriented so that higher means more likely correct" unit:"score units"`
	Wrong      bool    `parquet:"wrong" doc:"the prediction on the incoming image is wrong (the failure to detect)"`
}

// DegradationMetric is how well one score tells degraded incoming images
// from clean ones: a second task beside failure detection.
type DegradationMetric struct {
	RunID      string  `parquet:"run_id,dict" doc:"run identifier (a failure run)"`
	Split      string  `parquet:"split,dict" doc:"split evaluated" range:"test"`
	Corruption string  `parquet:"corruption,dict" doc:"the degradation; all when pooled over corruptions"`
	Severity   int32   `parquet:"severity" doc:"severity; 0 when pooled over severities" range:"0..5"`
	ScoreName  string  `parquet:"score_name,dict" doc:"score, oriented higher = more like a clean acquisition; degradation is the fingerprint's own degradation detector"`
	Regime     string  `parquet:"regime,dict" doc:"seen or unseen (fitted without this corruption)" range:"seen, unseen"`
	Value      float64 `parquet:"value" doc:"AUROC of clean (positive) against degraded test images" unit:"fraction" range:"0..1"`
	CILo       float64 `parquet:"ci_lo" doc:"lower end of the bootstrap 95% interval" range:"0..1"`
	CIHi       float64 `parquet:"ci_hi" doc:"upper end of the bootstrap 95% interval" range:"0..1"`
	NClean     int32   `parquet:"n_clean" doc:"clean images" range:">= 1"`
	NDegraded  int32   `parquet:"n_degraded" doc:"degraded images" range:">= 1"`
	NBoot      int32   `parquet:"n_boot" doc:"bootstrap resamples behind the interval" range:">= 0"`
}

// Guarantee is a selective-risk promise against what it delivered: the
// threshold chosen by SGR on the clean validation split for a target risk
// at confidence 1 - delta, applied to one test setting.
type Guarantee struct {
	RunID        string  `parquet:"run_id,dict" doc:"run identifier (a failure run)"`
	Setting      string  `parquet:"setting,dict" doc:"test setting" range:"iid, shift, mix"`
	Corruption   string  `parquet:"corruption,dict" doc:"clean for iid; the corruption, or all when pooled, for shift; the mix's share for a mix (mix50, mix10)"`
	Severity     int32   `parquet:"severity" doc:"severity for shift; 0 when pooled or not a shift" range:"0..5"`
	Regime       string  `parquet:"regime,dict" doc:"seen or unseen" range:"seen, unseen"`
	ScoreName    string  `parquet:"score_name,dict" doc:"the score thresholded"`
	TargetRisk   float64 `parquet:"target_risk" doc:"the selective risk asked for" unit:"fraction" range:"0..1"`
	Delta        float64 `parquet:"delta" doc:"the guarantee holds with probability at least 1 - delta over the calibration draw, for data like the calibration split" range:"0..1"`
	Bound        float64 `parquet:"bound" doc:"SGR's Clopper-Pearson upper bound on the risk at the chosen threshold (NaN when no threshold reaches the target)" unit:"fraction" range:"0..1"`
	CalCoverage  float64 `parquet:"cal_coverage" doc:"coverage on the clean validation split" unit:"fraction" range:"0..1"`
	CalRisk      float64 `parquet:"cal_risk" doc:"selective risk on the clean validation split" unit:"fraction" range:"0..1"`
	TestCoverage float64 `parquet:"test_coverage" doc:"share of the setting's test images accepted" unit:"fraction" range:"0..1"`
	TestRisk     float64 `parquet:"test_risk" doc:"wrong among the accepted test images: above target_risk, the promise broke" unit:"fraction" range:"0..1"`
	N            int32   `parquet:"n" doc:"test images of the setting" range:">= 1"`
}

// FailureMetric is one failure-detection metric of one score, with a
// bootstrap confidence interval.
type FailureMetric struct {
	RunID     string  `parquet:"run_id,dict" doc:"run identifier"`
	Split     string  `parquet:"split,dict" doc:"split the metric was evaluated on" range:"test, val"`
	ScoreName string  `parquet:"score_name,dict" doc:"failure score evaluated" range:"msp, entropy, energy, flips, detector, detector_msp, ..."`
	Metric    string  `parquet:"metric,dict" doc:"auroc_f (higher is better), aurc, eaurc, augrc, fpr95 (lower is better); FD-Shifts conventions; silent_failure: share of all images that are wrong yet accepted at the default coverage (lower is better)" range:"auroc_f, aurc, eaurc, augrc, fpr95, silent_failure"`
	Value     float64 `parquet:"value" doc:"metric on the full split" unit:"fraction (aurc, eaurc, augrc not x1000)" range:"0..1"`
	CILo      float64 `parquet:"ci_lo" doc:"lower end of the bootstrap 95% interval" unit:"as value" range:"0..1"`
	CIHi      float64 `parquet:"ci_hi" doc:"upper end of the bootstrap 95% interval" unit:"as value" range:"0..1"`
	N         int32   `parquet:"n" doc:"number of images evaluated" range:">= 1"`
	NBoot     int32   `parquet:"n_boot" doc:"number of bootstrap resamples behind the interval" range:">= 0"`
	// Written since the failure study under shift; NULL in older files.
	Setting    string `parquet:"setting,dict" doc:"test setting: iid (clean test), shift (corrupted test), mix (each test image once, clean or degraded at random)" range:"iid, shift, mix"`
	Corruption string `parquet:"corruption,dict" doc:"clean for iid; the corruption, or all when pooled over corruptions, for shift; the mix's degraded share for a mix" range:"clean, gaussian_noise, ..., all, mix50, mix10"`
	Severity   int32  `parquet:"severity" doc:"severity for shift; 0 when pooled over severities or not a shift" range:"0..5"`
	Regime     string `parquet:"regime,dict" doc:"seen: learned scores fitted on clean and corrupted validation images of every corruption; unseen: fitted without the corruption tested on (the headline); scores that learn nothing from corrupted images have the same rows in both" range:"seen, unseen"`
	Group      string `parquet:"group,dict" doc:"scores that rank this setting's images identically share a group (e.g. msp = entropy = doctor = temp_msp on binary tasks): one piece of evidence, not several"`
}

// Table describes one warehouse table.
type Table struct {
	Name        string
	Description string
	Grain       string // what one row is
	Row         reflect.Type
}

// Table names.
const (
	TableRuns           = "runs"
	TableTraining       = "training"
	TablePredictions    = "predictions"
	TableSaliency       = "saliency"
	TableMetrics        = "metrics"
	TableMaps           = "maps"
	TableFingerprints   = "fingerprints"
	TableEmbeddings     = "embeddings"
	TableFlags          = "flags"
	TableScores         = "scores"
	TableDegradation    = "degradation_metrics"
	TableGuarantees     = "guarantees"
	TableFailureMetrics = "failure_metrics"
)

// Tables lists every table in documentation order. It returns a new slice on
// each call so callers cannot change the package's idea of the schema.
func Tables() []Table {
	return []Table{
		{TableRuns, "One row per run and shard: what ran, with which configuration, seed, versions and model, and its status. The row is rewritten atomically (same file name) on start, after every committed chunk, on resume and on finish.", "run x shard", reflect.TypeFor[RunMeta]()},
		{TableTraining, "Per-epoch training history of train runs.", "run x epoch", reflect.TypeFor[Training]()},
		{TablePredictions, "Model outputs for every analysed image and variant (clean plus each corruption x severity).", "run x split x image x variant", reflect.TypeFor[Prediction]()},
		{TableSaliency, "Saliency change between the clean and a perturbed variant of one image, per layer and saliency method.", "run x split x image x variant x layer x method", reflect.TypeFor[Saliency]()},
		{TableMetrics, "AUC, accuracy and balanced accuracy per variant, over all classes and per class, with the drop relative to clean.", "run x split x variant x class x metric", reflect.TypeFor[Metric]()},
		{TableMaps, "Saliency maps and input pixels of the first K selected images per class, for the report's saliency grid.", "run x split x image x variant x layer x method", reflect.TypeFor[Map]()},
		{TableFingerprints, "The prediction and gradient fingerprint of every incoming image: each val and test image clean and under every corruption x severity, and the train images clean (their fingerprints give score statistics). Computed from the incoming image alone, never from its clean original.", "run x split x image x variant", reflect.TypeFor[Fingerprint]()},
		{TableEmbeddings, "Penultimate features of every incoming image of a fingerprint run, for feature-distance scores and notebooks.", "run x split x image x variant", reflect.TypeFor[Embedding]()},
		{TableFlags, "Failure scores per image and whether each image was flagged as a likely wrong prediction.", "run x split x image x score", reflect.TypeFor[Flag]()},
		{TableFailureMetrics, "Failure-detection metrics (FD-Shifts conventions) per score, with bootstrap 95% intervals; since the failure study under shift, per setting (iid, shift, mix), corruption, severity and regime.", "run x split x setting x corruption x severity x regime x score x metric", reflect.TypeFor[FailureMetric]()},
		{TableScores, "Every confidence score of every test incoming image of a failure study, per regime.", "run x split x image x variant x score x regime", reflect.TypeFor[Score]()},
		{TableDegradation, "How well each score tells degraded test images from clean ones (AUROC with bootstrap 95% intervals), per corruption x severity and pooled, per regime.", "run x corruption x severity x score x regime", reflect.TypeFor[DegradationMetric]()},
		{TableGuarantees, "Selective-risk guarantees (SGR on the clean validation split) against the risk and coverage they deliver on each test setting.", "run x setting x corruption x severity x regime x score", reflect.TypeFor[Guarantee]()},
	}
}

// TableByName returns the table called name.
func TableByName(name string) (Table, bool) {
	for _, t := range Tables() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// TableOf returns the table whose rows are of type T, or an error when T
// is no table's row type (a programming error the first write reports).
func TableOf[T any]() (Table, error) {
	rt := reflect.TypeFor[T]()
	for _, t := range Tables() {
		if t.Row == rt {
			return t, nil
		}
	}
	return Table{}, fmt.Errorf("rows: %v is not the row type of any table", rt)
}

// Run statuses of RunMeta.Status.
const (
	StatusRunning  = "running"
	StatusComplete = "complete"
	StatusFailed   = "failed"
)
