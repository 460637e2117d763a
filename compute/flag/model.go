package flag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/gradprint/gradprint/internal/atomicfile"
)

// Format identifies the JSON layout written by Save, so a future layout can
// be told apart rather than misread.
const Format = "gradprint.flag.logreg/v1"

// DefaultLambdas returns the cross-validation grid: L2 strength on the mean
// log-loss of standardised features, from barely regularised to weights
// shrunk to almost nothing (the detector then reduces to the base rate).
// A function, not a variable, so no caller can change another's default.
func DefaultLambdas() []float64 { return []float64{1e-4, 1e-3, 1e-2, 1e-1, 1, 10} }

// Options control Fit. The zero value means: DefaultLambdas(), 5 folds,
// seed 0, 100 Newton iterations, gradient tolerance 1e-9.
type Options struct {
	Lambdas []float64 // grid; a single value skips cross-validation
	Folds   int
	Seed    uint64 // drives the fold split only; recorded in the model
	MaxIter int
	Tol     float64
	// Groups, when set (one id per row), keeps the rows of a group in one
	// fold: the clean and corrupted copies of an image are one group, so
	// cross-validation never scores an image whose twin it trained on.
	Groups []int
}

// CVScore is the pooled held-out log-loss of one grid value.
type CVScore struct {
	Lambda  float64 `json:"lambda"`
	LogLoss float64 `json:"log_loss"`
}

// Model is a fitted failure detector. It predicts P(wrong) =
// sigmoid(Bias + sum_j Weights[j] * (x_j - Mean[j]) / Std[j]). A feature
// with Std 0 was constant on the fit set; it carries no information and is
// ignored at prediction time (its weight is 0).
type Model struct {
	Format     string    `json:"format"`
	Features   []string  `json:"features"`
	Mean       []float64 `json:"mean"`
	Std        []float64 `json:"std"`
	Weights    []float64 `json:"weights"` // on standardised features
	Bias       float64   `json:"bias"`
	Lambda     float64   `json:"lambda"`
	Folds      int       `json:"folds"`
	Seed       uint64    `json:"seed"`
	CV         []CVScore `json:"cv,omitempty"`
	NFit       int       `json:"n_fit"`
	NWrong     int       `json:"n_wrong"`
	Iterations int       `json:"iterations"`
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Lambdas) == 0 {
		o.Lambdas = DefaultLambdas()
	}
	for _, l := range o.Lambdas {
		// lambda = 0 would let the weights diverge on separable data.
		if !(l > 0) || math.IsInf(l, 0) {
			return o, fmt.Errorf("regularisation strength %v: must be positive and finite", l)
		}
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Folds < 2 {
		return o, fmt.Errorf("cross-validation needs at least 2 folds, got %d", o.Folds)
	}
	if o.MaxIter == 0 {
		o.MaxIter = 100
	}
	if o.Tol == 0 {
		o.Tol = 1e-9
	}
	return o, nil
}

// Fit trains the detector on rows x (one per prediction, features in the
// order of names) with wrong[i] = true when prediction i was wrong.
// Standardisation statistics come from the rows given, as does the
// cross-validated choice of lambda; the final model is refitted on all rows.
func Fit(names []string, x [][]float64, wrong []bool, opt Options) (*Model, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("fit failure detector: %w", err)
	}
	d := len(names)
	if err := checkData(names, x, wrong); err != nil {
		return nil, fmt.Errorf("fit failure detector: %w", err)
	}
	if opt.Groups != nil && len(opt.Groups) != len(x) {
		return nil, fmt.Errorf("fit failure detector: %d group ids for %d rows", len(opt.Groups), len(x))
	}
	y := make([]float64, len(wrong))
	nWrong := 0
	for i, w := range wrong {
		if w {
			y[i], nWrong = 1, nWrong+1
		}
	}
	if nWrong == 0 || nWrong == len(wrong) {
		return nil, fmt.Errorf("fit failure detector: need both right and wrong predictions, got %d wrong of %d", nWrong, len(wrong))
	}

	m := &Model{
		Format:   Format,
		Features: slices.Clone(names),
		Seed:     opt.Seed,
		NFit:     len(wrong),
		NWrong:   nWrong,
	}
	lambda := opt.Lambdas[0]
	if len(opt.Lambdas) > 1 {
		folds := min(opt.Folds, nWrong, len(wrong)-nWrong)
		if folds < 2 {
			return nil, fmt.Errorf("fit failure detector: cross-validation needs at least 2 right and 2 wrong predictions, got %d wrong of %d", nWrong, len(wrong))
		}
		m.Folds = folds
		m.CV, err = crossValidate(x, y, d, opt, folds)
		if err != nil {
			return nil, fmt.Errorf("fit failure detector: %w", err)
		}
		best := 0
		for i, s := range m.CV {
			// Prefer the stronger penalty on a tie: the simpler model.
			if s.LogLoss < m.CV[best].LogLoss || (s.LogLoss == m.CV[best].LogLoss && s.Lambda > m.CV[best].Lambda) {
				best = i
			}
		}
		lambda = m.CV[best].Lambda
	}
	m.Lambda = lambda
	m.Mean, m.Std = standardisation(x, d, nil)
	z := standardise(x, nil, m.Mean, m.Std)
	theta := make([]float64, d+1)
	m.Iterations, err = newton(z, y, d, lambda, theta, opt.MaxIter, opt.Tol)
	if err != nil {
		return nil, fmt.Errorf("fit failure detector (lambda %g): %w", lambda, err)
	}
	m.Weights, m.Bias = slices.Clone(theta[:d]), theta[d]
	return m, nil
}

func checkData(names []string, x [][]float64, wrong []bool) error {
	if len(names) == 0 {
		return errors.New("no features")
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return fmt.Errorf("feature %q named twice", n)
		}
		seen[n] = true
	}
	if len(x) == 0 {
		return errors.New("no rows")
	}
	if len(x) != len(wrong) {
		return fmt.Errorf("%d feature rows but %d residuals", len(x), len(wrong))
	}
	for i, row := range x {
		if len(row) != len(names) {
			return fmt.Errorf("row %d has %d features, want %d (%v)", i, len(row), len(names), names)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("row %d feature %q is %v", i, names[j], v)
			}
		}
	}
	return nil
}

// standardisation returns per-feature mean and population standard
// deviation over the rows listed in idx (all rows if idx is nil). A std that
// is zero up to rounding (relative 1e-12 of the mean) is set to exactly 0,
// marking the feature as constant.
func standardisation(x [][]float64, d int, idx []int) (mean, std []float64) {
	mean = make([]float64, d)
	std = make([]float64, d)
	n := len(x)
	if idx != nil {
		n = len(idx)
	}
	row := func(i int) []float64 {
		if idx == nil {
			return x[i]
		}
		return x[idx[i]]
	}
	for i := range n {
		for j, v := range row(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := range n {
		for j, v := range row(i) {
			dv := v - mean[j]
			std[j] += dv * dv
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(n))
		if std[j] <= 1e-12*math.Abs(mean[j]) {
			std[j] = 0
		}
	}
	return mean, std
}

// standardise returns the flat standardised matrix of the rows in idx (all
// if nil); constant features become 0.
func standardise(x [][]float64, idx []int, mean, std []float64) []float64 {
	d := len(mean)
	rows := idx
	if rows == nil {
		rows = make([]int, len(x))
		for i := range rows {
			rows[i] = i
		}
	}
	z := make([]float64, len(rows)*d)
	for r, i := range rows {
		for j, v := range x[i] {
			if std[j] > 0 {
				z[r*d+j] = (v - mean[j]) / std[j]
			}
		}
	}
	return z
}

// crossValidate scores every lambda by the log-loss pooled over all
// held-out rows. Folds are stratified (wrong and right rows dealt out
// separately after a seeded shuffle) because failures are the minority and
// a fold without any would score nothing useful. Within a fold, lambdas are
// fitted from strongest to weakest, each starting from the previous
// solution: the same optimum, fewer Newton steps.
func crossValidate(x [][]float64, y []float64, d int, opt Options, folds int) ([]CVScore, error) {
	fold := assignFolds(y, opt.Groups, folds, opt.Seed)

	order := make([]int, len(opt.Lambdas))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		// descending lambda
		switch {
		case opt.Lambdas[a] > opt.Lambdas[b]:
			return -1
		case opt.Lambdas[a] < opt.Lambdas[b]:
			return 1
		}
		return 0
	})
	total := make([]float64, len(opt.Lambdas))
	for f := range folds {
		var train, test []int
		for i, fi := range fold {
			if fi == f {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		mean, std := standardisation(x, d, train)
		zTrain := standardise(x, train, mean, std)
		zTest := standardise(x, test, mean, std)
		yTrain, yTest := pick(y, train), pick(y, test)
		theta := make([]float64, d+1)
		for _, li := range order {
			if _, err := newton(zTrain, yTrain, d, opt.Lambdas[li], theta, opt.MaxIter, opt.Tol); err != nil {
				return nil, fmt.Errorf("cross-validation fold %d, lambda %g: %w", f, opt.Lambdas[li], err)
			}
			total[li] += logLoss(zTest, yTest, d, theta) * float64(len(test))
		}
	}
	out := make([]CVScore, len(opt.Lambdas))
	for i, l := range opt.Lambdas {
		out[i] = CVScore{Lambda: l, LogLoss: total[i] / float64(len(y))}
	}
	return out, nil
}

// assignFolds deals rows into folds after a seeded shuffle, stratified by
// outcome: rows one by one, or with groups whole groups, a group counting
// as failing when any of its rows failed.
func assignFolds(y []float64, groups []int, folds int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x5eed_f01d))
	fold := make([]int, len(y))
	if groups == nil {
		var pos, neg []int
		for i, v := range y {
			if v == 1 {
				pos = append(pos, i)
			} else {
				neg = append(neg, i)
			}
		}
		rng.Shuffle(len(pos), func(i, j int) { pos[i], pos[j] = pos[j], pos[i] })
		rng.Shuffle(len(neg), func(i, j int) { neg[i], neg[j] = neg[j], neg[i] })
		for k, i := range append(pos, neg...) {
			fold[i] = k % folds
		}
		return fold
	}
	failing := map[int]bool{}
	var ids []int
	for i, g := range groups {
		if _, seen := failing[g]; !seen {
			ids = append(ids, g)
			failing[g] = false
		}
		failing[g] = failing[g] || y[i] == 1
	}
	slices.Sort(ids)
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	slices.SortStableFunc(ids, func(a, b int) int {
		switch {
		case failing[a] && !failing[b]:
			return -1
		case failing[b] && !failing[a]:
			return 1
		}
		return 0
	})
	of := map[int]int{}
	for k, g := range ids {
		of[g] = k % folds
	}
	for i, g := range groups {
		fold[i] = of[g]
	}
	return fold
}

// OutOfFold returns, for every row, the confidence (1 - P(wrong)) of a
// detector fitted, as Fit fits, on the other folds only: an honest score
// of the rows a detector is fitted on, to compare it with scores that fit
// nothing. Folds follow opt.Groups when set.
func OutOfFold(names []string, x [][]float64, wrong []bool, opt Options) ([]float64, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	y := make([]float64, len(wrong))
	for i, w := range wrong {
		if w {
			y[i] = 1
		}
	}
	fold := assignFolds(y, opt.Groups, o.Folds, opt.Seed)
	out := make([]float64, len(x))
	for f := range o.Folds {
		var tr, te []int
		for i, fi := range fold {
			if fi == f {
				te = append(te, i)
			} else {
				tr = append(tr, i)
			}
		}
		sub := opt
		sub.Groups = nil
		if opt.Groups != nil {
			sub.Groups = pickInt(opt.Groups, tr)
		}
		m, err := Fit(names, pickRows(x, tr), pickBool(wrong, tr), sub)
		if err != nil {
			return nil, fmt.Errorf("out-of-fold fit %d of %d: %w", f+1, o.Folds, err)
		}
		conf, err := m.Confidences(pickRows(x, te))
		if err != nil {
			return nil, err
		}
		for k, i := range te {
			out[i] = conf[k]
		}
	}
	return out, nil
}

func pickRows(x [][]float64, idx []int) [][]float64 {
	out := make([][]float64, len(idx))
	for i, j := range idx {
		out[i] = x[j]
	}
	return out
}

func pickBool(v []bool, idx []int) []bool {
	out := make([]bool, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}

func pickInt(v []int, idx []int) []int {
	out := make([]int, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}

func pick(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}

// PWrong is the predicted probability that the prediction described by the
// features x (in m.Features order) is wrong.
func (m *Model) PWrong(x []float64) (float64, error) {
	if len(x) != len(m.Features) {
		return 0, fmt.Errorf("failure detector: got %d features, model expects %d (%v)", len(x), len(m.Features), m.Features)
	}
	eta := m.Bias
	for j, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("failure detector: feature %q is %v", m.Features[j], v)
		}
		if m.Std[j] > 0 {
			eta += m.Weights[j] * (v - m.Mean[j]) / m.Std[j]
		}
	}
	return sigmoid(eta), nil
}

// Confidence is 1 - PWrong: the detector's score oriented like MSP (higher
// = more likely correct), ready for compute/metrics' failure metrics and for
// Calibrate*.
func (m *Model) Confidence(x []float64) (float64, error) {
	p, err := m.PWrong(x)
	return 1 - p, err
}

// Confidences scores many rows; row i's error names it.
func (m *Model) Confidences(x [][]float64) ([]float64, error) {
	out := make([]float64, len(x))
	for i, row := range x {
		c, err := m.Confidence(row)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		out[i] = c
	}
	return out, nil
}

// RawCoefficients expresses the model on unstandardised features,
// logit P(wrong) = b + sum_j w_j x_j, for analysts reading effect sizes in
// the features' own units (per unit of RMSE, per flip, ...).
func (m *Model) RawCoefficients() (w []float64, b float64) {
	w = make([]float64, len(m.Weights))
	b = m.Bias
	for j := range w {
		if m.Std[j] > 0 {
			w[j] = m.Weights[j] / m.Std[j]
			b -= w[j] * m.Mean[j]
		}
	}
	return w, b
}

// Validate checks that a model (typically just loaded) is internally
// consistent, so a damaged file fails at load, not as a wrong score later.
func (m *Model) Validate() error {
	if m.Format != Format {
		return fmt.Errorf("format %q, want %q", m.Format, Format)
	}
	d := len(m.Features)
	if d == 0 {
		return errors.New("no features")
	}
	for name, v := range map[string][]float64{"mean": m.Mean, "std": m.Std, "weights": m.Weights} {
		if len(v) != d {
			return fmt.Errorf("%s has %d entries, want %d (one per feature)", name, len(v), d)
		}
		for j, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%s of feature %q is %v", name, m.Features[j], x)
			}
		}
	}
	for j, s := range m.Std {
		if s < 0 {
			return fmt.Errorf("std of feature %q is negative (%v)", m.Features[j], s)
		}
	}
	if math.IsNaN(m.Bias) || math.IsInf(m.Bias, 0) {
		return fmt.Errorf("bias is %v", m.Bias)
	}
	return nil
}

// Save writes the model as indented JSON, atomically: a reader sees the old
// file or the complete new one.
func (m *Model) Save(path string) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("save failure detector %s: %w", path, err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("save failure detector %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(data, '\n'))
}

// Load reads and validates a model written by Save. Unknown fields are an
// error: they signal a file from another tool or version.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load failure detector: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("load failure detector %s: %w", path, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("load failure detector %s: %w", path, err)
	}
	return &m, nil
}
