package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gradprint/gradprint/queries"
)

func severityGroupLabels() []string { return []string{"msp = temp_msp", "entropy", "detector"} }

func TestFailureBySeverity(t *testing.T) {
	f, err := FailureBySeverity(fixtureFailureBySeverity(twoCorrs, severityGroups), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// One panel per corruption, one legend entry per group (msp and
	// temp_msp share one), baselines first.
	checkFigure(t, "failure by severity", f, DefaultWidth, len(twoCorrs), 0)
	if got := legendLabels(f); !slices.Equal(got, severityGroupLabels()) {
		t.Errorf("legend %q, want %q", got, severityGroupLabels())
	}
	for i, it := range f.Legend {
		if it.Color != SeriesColor(i) {
			t.Errorf("legend %q: colour %v, want palette colour %d %v", it.Label, it.Color, i, SeriesColor(i))
		}
		for pi, r := range f.Panels {
			if nearColor(f.Image, r, it.Color, 30) == 0 {
				t.Errorf("group %q: no pixel of its colour in panel %d", it.Label, pi)
			}
		}
	}
}

// bandColor is c at bandAlpha over white, as a band looks where no other
// band or line covers it.
func bandColor(c color.RGBA) color.RGBA {
	a := float64(bandAlpha) / 255
	mix := func(v uint8) uint8 { return uint8(math.Round(float64(v)*a + 255*(1-a))) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}

func TestSeverityBandsAreVisibleAndLighter(t *testing.T) {
	rows := fixtureFailureBySeverity(twoCorrs, [][]string{{"msp"}})
	f, err := FailureBySeverity(rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	line, band := SeriesColor(0), bandColor(SeriesColor(0))
	if luminance(band) < luminance(line)+0.3 {
		t.Fatalf("band colour %v is not much lighter than the line's %v", band, line)
	}
	// The interval spans 6-11 % of the axis over the whole panel width: a
	// band drawn at all covers a few per cent of the panel.
	for i, r := range f.Panels {
		if n, area := nearColor(f.Image, r, band, 12), r.Dx()*r.Dy(); n < area/50 {
			t.Errorf("panel %d: %d pixels of the band colour %v of %d: band not drawn", i, n, band, area)
		}
	}
	// An interval between two severities without one still shows, as a bar
	// (about 400 pixels here; anti-aliased line edges match about 80).
	lone := slices.Clone(rows)
	for i, r := range lone {
		if r.Severity != 2 {
			lone[i].Lo, lone[i].Hi = math.NaN(), math.NaN()
		}
	}
	f, err = FailureBySeverity(lone, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range f.Panels {
		if n := nearColor(f.Image, r, band, 12); n < 200 {
			t.Errorf("panel %d with one interval: %d pixels of the band colour", i, n)
		}
	}
	// Without intervals the same colour (almost) vanishes, so it was the band.
	for i := range rows {
		rows[i].Lo, rows[i].Hi = math.NaN(), math.NaN()
	}
	f, err = FailureBySeverity(rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range f.Panels {
		if n, area := nearColor(f.Image, r, band, 12), r.Dx()*r.Dy(); n > area/500 {
			t.Errorf("panel %d without intervals: %d pixels of the band colour", i, n)
		}
	}
}

func TestSeverityGroupsSplitWhereTheRankingsDiffer(t *testing.T) {
	rows := fixtureFailureBySeverity(twoCorrs, severityGroups)
	// At one severity msp and temp_msp rank differently: they cannot share
	// a line anywhere, or the line would stand for two values there.
	for i, r := range rows {
		if r.Corruption == "motion_blur" && r.Severity == 5 && r.Group == "msp = temp_msp" {
			rows[i].Group = r.Score
		}
	}
	f, err := FailureBySeverity(rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := legendLabels(f), []string{"msp", "temp_msp", "entropy", "detector"}; !slices.Equal(got, want) {
		t.Errorf("legend %q, want %q", got, want)
	}
}

func TestSeverityFigureWrapsManyCorruptions(t *testing.T) {
	var groups [][]string
	for i := range 12 {
		groups = append(groups, []string{fmt.Sprintf("score_%02d", i)})
	}
	f, err := FailureBySeverity(fixtureFailureBySeverity(canonicalCorruptions(), groups), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Eleven panels in three rows of four; the twelfth cell stays blank
	// rather than "no data".
	checkFigure(t, "eleven corruptions", f, DefaultWidth, 11, 0)
	if len(f.Panels) == 11 && (f.Panels[3].Min.Y != f.Panels[0].Min.Y || f.Panels[4].Min.Y <= f.Panels[0].Min.Y) {
		t.Errorf("panels %v: want rows of four", f.Panels)
	}
	if len(f.Legend) != 12 {
		t.Errorf("%d legend entries, want 12", len(f.Legend))
	}
	seen := map[color.RGBA]string{}
	for _, it := range f.Legend {
		if prev, dup := seen[it.Color]; dup {
			t.Errorf("%s and %s share colour %v", prev, it.Label, it.Color)
		}
		seen[it.Color] = it.Label
	}
}

// rowWhere is the index of the first row satisfying ok.
func rowWhere[R any](t *testing.T, rows []R, ok func(R) bool) int {
	t.Helper()
	i := slices.IndexFunc(rows, ok)
	if i < 0 {
		t.Fatal("no fixture row matches")
	}
	return i
}

func TestSeverityFigureErrors(t *testing.T) {
	base := fixtureFailureBySeverity(twoCorrs, severityGroups)
	at := rowWhere(t, base, func(r queries.FailureBySeverityRow) bool {
		return r.Corruption == "motion_blur" && r.Severity == 3 && r.Score == "entropy"
	})
	const name = "motion_blur severity 3, score entropy"
	edit := func(f func(r *queries.FailureBySeverityRow)) []queries.FailureBySeverityRow {
		rows := slices.Clone(base)
		f(&rows[at])
		return rows
	}
	cases := []struct {
		name string
		rows []queries.FailureBySeverityRow
		want []string
	}{
		{"no rows", nil, []string{"no rows", "failure_by_severity"}},
		{"NaN value", edit(func(r *queries.FailureBySeverityRow) { r.Value = math.NaN() }), []string{name, "NaN", "interval"}},
		{"inverted interval", edit(func(r *queries.FailureBySeverityRow) { r.Lo, r.Hi = r.Hi, r.Lo }), []string{name, "low end above"}},
		{"half interval", edit(func(r *queries.FailureBySeverityRow) { r.Hi = math.NaN() }), []string{name, "one end missing"}},
		{"unknown severity", edit(func(r *queries.FailureBySeverityRow) { r.Severity = 6 }), []string{"motion_blur severity 6, score entropy", "not one of 0..5"}},
		{"two metrics", edit(func(r *queries.FailureBySeverityRow) { r.Metric = "aurc" }), []string{"2 metrics (aurc, auroc_f)", "failure_by_severity"}},
		{"two runs", edit(func(r *queries.FailureBySeverityRow) { r.Run = "f2" }), []string{"2 runs", "dermamnist/f2"}},
		{"two regimes", edit(func(r *queries.FailureBySeverityRow) { r.Regime = "seen" }), []string{"2 regimes"}},
		{"duplicate", append(slices.Clone(base), base[at]), []string{"two rows", name}},
	}
	for _, c := range cases {
		_, err := FailureBySeverity(c.rows, Options{})
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want one containing %q", c.name, err, w)
			}
		}
	}
	allNaN := slices.Clone(base)
	for i := range allNaN {
		allNaN[i].Value, allNaN[i].Lo, allNaN[i].Hi = math.NaN(), math.NaN(), math.NaN()
	}
	if _, err := FailureBySeverity(allNaN, Options{}); err == nil || !strings.Contains(err.Error(), "every value is NaN") {
		t.Errorf("all NaN: %v", err)
	}
}

func TestSilentFailures(t *testing.T) {
	rows := fixtureSilentFailures(twoCorrs, severityGroups)
	f, err := SilentFailures(rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "silent failures", f, DefaultWidth, len(twoCorrs), 0)
	if got := legendLabels(f); !slices.Equal(got, severityGroupLabels()) {
		t.Errorf("legend %q, want %q", got, severityGroupLabels())
	}
	// The iid rows are every panel's severity 0: without them each panel
	// loses a segment of the first group's line.
	var shiftOnly, noErr []queries.SilentFailureRow
	for _, r := range rows {
		if r.Setting != "iid" {
			shiftOnly = append(shiftOnly, r)
		}
		r.ErrorRate = math.NaN()
		noErr = append(noErr, r)
	}
	g, err := SilentFailures(shiftOnly, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The dashed grey error-rate line: without error rates the panels hold
	// fewer grey pixels (the axes' text is grey too, hence a difference).
	h, err := SilentFailures(noErr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range f.Panels {
		with, without := nearColor(f.Image, r, SeriesColor(0), 20), nearColor(g.Image, g.Panels[i], SeriesColor(0), 20)
		if with <= without+with/20 {
			t.Errorf("panel %d: %d line pixels with the iid rows, %d without: severity 0 not drawn", i, with, without)
		}
		grey, less := nearColor(f.Image, r, mutedColor.rgba(), 40), nearColor(h.Image, h.Panels[i], mutedColor.rgba(), 40)
		if grey < less+r.Dx()/4 {
			t.Errorf("panel %d: %d grey pixels with error rates, %d without: no error-rate line", i, grey, less)
		}
	}
}

func TestSilentFailuresErrors(t *testing.T) {
	base := fixtureSilentFailures(twoCorrs, severityGroups)
	iid := rowWhere(t, base, func(r queries.SilentFailureRow) bool { return r.Setting == "iid" && r.Score == "entropy" })
	shift := rowWhere(t, base, func(r queries.SilentFailureRow) bool {
		return r.Setting == "shift" && r.Corruption == "gaussian_noise" && r.Severity == 2 && r.Score == "detector"
	})
	edit := func(i int, f func(r *queries.SilentFailureRow)) []queries.SilentFailureRow {
		rows := slices.Clone(base)
		f(&rows[i])
		return rows
	}
	var noShift []queries.SilentFailureRow
	for _, r := range base {
		if r.Setting != "shift" || r.Severity == 0 {
			noShift = append(noShift, r)
		}
	}
	cases := []struct {
		name string
		rows []queries.SilentFailureRow
		want []string
	}{
		{"no rows", nil, []string{"no rows", "silent_failures"}},
		{"no shift rows", noShift, []string{"no rows of the shift setting", "iid, mix, shift"}},
		{"iid with a severity", edit(iid, func(r *queries.SilentFailureRow) { r.Severity = 2 }), []string{"setting iid, clean severity 2, score entropy"}},
		{"unknown severity", edit(shift, func(r *queries.SilentFailureRow) { r.Severity = 9 }), []string{"setting shift, gaussian_noise severity 9, score detector", "not one of"}},
		{"inverted interval", edit(shift, func(r *queries.SilentFailureRow) { r.Lo = r.Hi + 0.1 }), []string{"setting shift, gaussian_noise severity 2, score detector", "low end above"}},
		{"NaN at iid", edit(iid, func(r *queries.SilentFailureRow) { r.Silent = math.NaN() }), []string{"setting iid, clean severity 0, score entropy", "NaN"}},
	}
	for _, c := range cases {
		_, err := SilentFailures(c.rows, Options{})
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want one containing %q", c.name, err, w)
			}
		}
	}
}

func TestDegradedInputs(t *testing.T) {
	scores := []string{"degradation", "fp_distance", "msp"}
	rows := fixtureDegradedInputs(twoCorrs, scores)
	f, err := DegradedInputs(rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "degraded inputs", f, DefaultWidth, len(twoCorrs), 0)
	if got, want := legendLabels(f), []string{"msp", "fp_distance", "degradation"}; !slices.Equal(got, want) {
		t.Errorf("legend %q, want %q (baselines first)", got, want)
	}
	// Rows pooled over severities (severity 0) are not points of the axis:
	// left out, so the figure is the same; alone they draw nothing.
	pooled := slices.Clone(rows)
	for _, r := range rows {
		r.Severity = 0
		pooled = append(pooled, r)
	}
	g, err := DegradedInputs(pooled, Options{})
	if err != nil || !bytes.Equal(g.Image.Pix, f.Image.Pix) {
		t.Errorf("pooled rows changed the figure (err %v)", err)
	}
	if _, err := DegradedInputs(pooled[len(rows):], Options{}); err == nil || !strings.Contains(err.Error(), "1..5") {
		t.Errorf("only pooled rows: %v", err)
	}
	bad := slices.Clone(rows)
	bad[7].Lo, bad[7].Hi = 0.9, 0.8
	if _, err := DegradedInputs(bad, Options{}); err == nil || !strings.Contains(err.Error(), rowName("", bad[7].Corruption, bad[7].Severity, bad[7].Score)) {
		t.Errorf("inverted interval: %v", err)
	}
	if _, err := DegradedInputs(nil, Options{}); err == nil || !strings.Contains(err.Error(), "degraded_input_detection") {
		t.Errorf("no rows: %v", err)
	}
}

func TestGuaranteesHTML(t *testing.T) {
	rows := fixtureGuarantees("detector", "msp", "<b>odd</b>")
	h, err := GuaranteesHTML(rows)
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	if strings.Contains(s, "<b>odd</b>") || !strings.Contains(s, "&lt;b&gt;odd&lt;/b&gt;") {
		t.Error("a score name is not escaped")
	}
	// detector's pooled shift is the one broken promise.
	if n := strings.Count(s, `class="broken"`); n != 1 {
		t.Errorf("%d broken cells, want 1", n)
	}
	if !strings.Contains(s, `<td class="broken"><strong>false</strong></td>`) {
		t.Error("the broken promise does not read false")
	}
	if n := strings.Count(s, "<td>true</td>"); n != 3*4-1 {
		t.Errorf("%d promises kept, want 11", n)
	}
	if strings.Contains(s, "0.777") {
		t.Error("a single-severity row is in the table")
	}
	// Four pooled settings per score, the score written once; baselines
	// first; then iid, every corruption pooled, one corruption, mix.
	if n := strings.Count(s, `rowspan="4"`); n != 3 {
		t.Errorf("%d score cells spanning 4 rows, want 3", n)
	}
	if i, j := strings.Index(s, ">msp<"), strings.Index(s, ">detector<"); i < 0 || j < 0 || i > j {
		t.Error("msp should come before detector")
	}
	det := s[strings.Index(s, ">detector<"):]
	prev := -1
	for _, cell := range []string{"<td>iid</td><td>clean</td>", "<td>shift</td><td>all</td>", "<td>shift</td><td>gaussian_noise</td>", "<td>mix</td>"} {
		at := strings.Index(det, cell)
		if at <= prev {
			t.Errorf("setting %s at %d, after %d", cell, at, prev)
		}
		prev = at
	}
	for _, want := range []string{"validation coverage", "at δ = 0.001", "<td>0.100</td>", "<td>0.140</td>"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	nan := slices.Clone(rows)
	nan[0].Bound = math.NaN()
	if h, err := GuaranteesHTML(nan); err != nil || !strings.Contains(string(h), "<td>n/a</td>") {
		t.Errorf("no bound: %v, want n/a", err)
	}
}

func TestGuaranteesHTMLErrors(t *testing.T) {
	rows := fixtureGuarantees("msp", "detector")
	two := slices.Clone(rows)
	two[0].Regime = "seen"
	var single []queries.RiskGuaranteeRow
	for _, r := range rows {
		if r.Severity != 0 {
			single = append(single, r)
		}
	}
	badTarget := slices.Clone(rows)
	badTarget[0].TargetRisk = math.NaN()
	for _, c := range []struct {
		name string
		rows []queries.RiskGuaranteeRow
		want string
	}{
		{"no rows", nil, "no rows"},
		{"two regimes", two, "2 regimes (seen, unseen)"},
		{"single severities only", single, "rows have severities 3"},
		{"duplicate", append(slices.Clone(rows), rows[0]), "two rows for score msp, setting mix, corruption all"},
		{"target", badTarget, "target risk NaN"},
	} {
		if _, err := GuaranteesHTML(c.rows); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestScoreLines(t *testing.T) {
	got := scoreLines(
		[]string{"a", "b", "c", "a", "b", "c"},
		[]string{"a = b = c", "a = b = c", "a = b = c", "a = b", "a = b", "c"})
	want := map[string]scoreLine{"a": {"a = b", 0}, "b": {"a = b", 1}, "c": {"c", 0}}
	for s, w := range want {
		if got[s] != w {
			t.Errorf("score %s: line %+v, want %+v", s, got[s], w)
		}
	}
	// A group that does not name its score is the score alone.
	if got := scoreLines([]string{"x"}, []string{"y = z"}); got["x"] != (scoreLine{"x", 0}) {
		t.Errorf("malformed group: %+v", got["x"])
	}
}
