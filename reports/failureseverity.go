package reports

import (
	"fmt"
	"math"
	"strings"

	"github.com/gradprint/gradprint/queries"
)

// FailureBySeverity draws a failure metric of every score group against
// corruption severity: one panel per corruption, severity 0 (the clean
// test split) then 1..5 on the x axis, one line per group of scores that
// rank the images identically, with bootstrap 95 % bands. The rows must be
// of one run, one metric and one regime.
func FailureBySeverity(rows []queries.FailureBySeverityRow, o Options) (*Rendered, error) {
	const what = "failure by severity"
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows (did the failure_by_severity query match a complete failure run?)", what)
	}
	sc := newScope(what, "failure_by_severity", "run", "metric", "regime")
	scores, groups := make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		sc.add(r.Dataset+"/"+r.Run, r.Metric, r.Regime)
		scores[i], groups[i] = r.Score, r.Group
	}
	v, err := sc.one()
	if err != nil {
		return nil, err
	}
	lines := scoreLines(scores, groups)
	pts := make([]sevPoint, len(rows))
	for i, r := range rows {
		l := lines[r.Score]
		pts[i] = sevPoint{Row: rowName("", r.Corruption, r.Severity, r.Score), Corruption: r.Corruption, Severity: r.Severity,
			Score: r.Score, Line: l.label, Rank: l.rank, Value: r.Value, Lo: r.Lo, Hi: r.Hi, Ref: math.NaN()}
	}
	label, up, unit := failureMetricAxis(v[1])
	return severityFigure(pts, sevSpec{
		what:        what,
		title:       failureBySeverityTitle(v[1], v[2]),
		subtitle:    joinParts(runText(runKey{rows[0].Dataset, rows[0].Run}), betterText(up), "one line per score group (scores ranking the images identically)", "band: bootstrap 95 % interval"),
		yTitle:      label + " (" + betterText(up) + ")",
		legendTitle: "score group:",
		unit:        unit,
	}, o)
}

// SilentFailures draws the silent-failure rate (wrong yet accepted, over
// all images) of every score group against severity, one panel per
// corruption: the shift setting's rows of severities 1..5, and the iid
// setting's at severity 0 of every panel. A dashed grey line is the error
// rate, the rate of accepting every image. Rows of other settings and the
// shift rows pooled over severities (severity 0) are left out; the rest
// must be of one run and regime.
func SilentFailures(rows []queries.SilentFailureRow, o Options) (*Rendered, error) {
	const what = "silent failures"
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows (did the silent_failures query match a complete failure run?)", what)
	}
	var iid, shift []queries.SilentFailureRow
	var settings []string
	for _, r := range rows {
		settings = append(settings, r.Setting)
		switch {
		case r.Setting == "iid":
			iid = append(iid, r)
		case r.Setting == "shift" && r.Severity != 0:
			shift = append(shift, r)
		}
	}
	if len(shift) == 0 {
		return nil, fmt.Errorf("%s: no rows of the shift setting at severities 1..%d (rows have settings %s; did the silent_failures query match a complete failure run?)",
			what, maxSeverity, strings.Join(uniqueSorted(settings), ", "))
	}
	sc := newScope(what, "silent_failures", "run", "regime")
	var scores, groups, corrs []string
	for _, r := range append(shift, iid...) {
		sc.add(r.Dataset+"/"+r.Run, r.Regime)
		scores, groups = append(scores, r.Score), append(groups, r.Group)
		if r.Setting == "shift" {
			corrs = append(corrs, r.Corruption)
		}
	}
	v, err := sc.one()
	if err != nil {
		return nil, err
	}
	lines := scoreLines(scores, groups)
	corrs = uniqueSorted(corrs)
	var pts []sevPoint
	for _, r := range shift {
		pts = append(pts, silentPoint(r, r.Corruption, lines[r.Score]))
	}
	for _, r := range iid {
		if r.Severity != 0 {
			return nil, fmt.Errorf("%s: %s: the iid setting is the clean test split, severity 0", what, rowName(r.Setting, r.Corruption, r.Severity, r.Score))
		}
		// Clean is every corruption's severity 0.
		for _, c := range corrs {
			pts = append(pts, silentPoint(r, c, lines[r.Score]))
		}
	}
	return severityFigure(pts, sevSpec{
		what:        what,
		title:       silentFailuresTitle(v[1]),
		subtitle:    joinParts(runText(runKey{shift[0].Dataset, shift[0].Run}), "flag at the default coverage", "dashed grey: error rate (accepting every image)", "band: bootstrap 95 % interval"),
		yTitle:      "silent failures (share of images wrong yet accepted; lower is better)",
		legendTitle: "score group:",
	}, o)
}

// silentPoint is row r drawn in the panel of corruption corr.
func silentPoint(r queries.SilentFailureRow, corr string, l scoreLine) sevPoint {
	return sevPoint{Row: rowName(r.Setting, r.Corruption, r.Severity, r.Score), Corruption: corr, Severity: r.Severity,
		Score: r.Score, Line: l.label, Rank: l.rank, Value: r.Silent, Lo: r.Lo, Hi: r.Hi, Ref: r.ErrorRate}
}

// DegradedInputs draws how well each score tells degraded test images from
// clean ones: AUROC (clean positive) against severity 1..5, one panel per
// corruption, one line per score with bootstrap 95 % bands, and dashed
// references at 0.5 (blind) and 0.9. The rows must be of one run and
// regime; rows pooled over severities or corruptions are not drawn.
func DegradedInputs(rows []queries.DegradedInputRow, o Options) (*Rendered, error) {
	const what = "degraded-input detection"
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows (did the degraded_input_detection query match a complete failure run?)", what)
	}
	sc := newScope(what, "degraded_input_detection", "run", "regime")
	pts := make([]sevPoint, 0, len(rows))
	for _, r := range rows {
		sc.add(r.Dataset+"/"+r.Run, r.Regime)
		if r.Severity == 0 || r.Corruption == "all" {
			continue // pooled over severities or corruptions: not a point of a severity axis
		}
		pts = append(pts, sevPoint{Row: rowName("", r.Corruption, r.Severity, r.Score), Corruption: r.Corruption, Severity: r.Severity,
			Score: r.Score, Line: r.Score, Value: r.AUROC, Lo: r.Lo, Hi: r.Hi, Ref: math.NaN()})
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("%s: only rows pooled over severities; the figure needs severities 1..5", what)
	}
	v, err := sc.one()
	if err != nil {
		return nil, err
	}
	return severityFigure(pts, sevSpec{
		what:        what,
		title:       degradedInputsTitle(v[1]),
		subtitle:    joinParts(runText(runKey{rows[0].Dataset, rows[0].Run}), "clean test images (positive) against their corrupted copies", "dashed: 0.5 (blind) and 0.9", "band: bootstrap 95 % interval"),
		yTitle:      "AUROC, clean against degraded (higher is better)",
		legendTitle: "score:",
		minSev:      1,
		unit:        true,
		rules:       []float64{0.5, 0.9},
	}, o)
}

// failureBySeverityTitle is the title of the FailureBySeverity figure of a
// metric and regime; "" leaves either out.
func failureBySeverityTitle(metric, regime string) string {
	label, _, _ := failureMetricAxis(metric)
	if metric == "" {
		label = "Failure metric"
	}
	return withRegime(label+" by corruption severity", regime)
}

// silentFailuresTitle is the title of the SilentFailures figure of a
// regime; "" leaves it out.
func silentFailuresTitle(regime string) string {
	return withRegime("Silent failures by corruption severity", regime)
}

// degradedInputsTitle is the title of the DegradedInputs figure of a
// regime; "" leaves it out.
func degradedInputsTitle(regime string) string {
	return withRegime("Degraded-input detection by corruption severity", regime)
}

func withRegime(title, regime string) string {
	if regime == "" {
		return title
	}
	return title + ", " + regime + " regime"
}

// failureMetricAxis labels a failure metric for an axis, says which way
// is better and whether it lies in 0..1 (the areas are often scaled).
func failureMetricAxis(m string) (label string, higherBetter, unit bool) {
	_, up, label := metricInfo(m)
	switch m {
	case "silent_failure":
		return "silent-failure rate", false, true
	case "auroc_f", "fpr95":
		return label, up, true
	}
	return label, up, false
}

func betterText(higher bool) string {
	if higher {
		return "higher is better"
	}
	return "lower is better"
}

// scope collects the columns whose value every row of a figure must share
// (one run, one regime), to name all of them when they do not.
type scope struct {
	what, query string
	names       []string
	vals        [][]string
}

func newScope(what, query string, names ...string) *scope {
	return &scope{what: what, query: query, names: names, vals: make([][]string, len(names))}
}

// add records one row's values, in the order of the names.
func (s *scope) add(vals ...string) {
	for i, v := range vals {
		s.vals[i] = append(s.vals[i], v)
	}
}

// one returns each column's single value, in the order of the names.
func (s *scope) one() ([]string, error) {
	out := make([]string, len(s.names))
	for i, n := range s.names {
		u := uniqueSorted(s.vals[i])
		if len(u) != 1 {
			return nil, fmt.Errorf("%s: rows hold %d %ss (%s): pass one %s to the %s query", s.what, len(u), n, strings.Join(u, ", "), n, s.query)
		}
		out[i] = u[0]
	}
	return out, nil
}
