package reports

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/gradprint/gradprint/queries"
)

// GuaranteesHTML renders the risk guarantee as an HTML table: per score,
// each test setting pooled over severities (the rows of severity 0) with
// the target risk, the bound guaranteed on clean validation, the
// validation coverage, the test risk and coverage, and whether the
// promise held ("false" when the test risk exceeds the target). The rows
// must be of one run and one regime; rows of single severities are left
// out, so an answer over every severity can be passed as it is.
func GuaranteesHTML(rows []queries.RiskGuaranteeRow) (template.HTML, error) {
	keep, err := pooledGuarantees(rows)
	if err != nil {
		return "", err
	}
	type line struct {
		Score                               string
		Span                                int // rows the score cell covers; 0 below its first
		Setting, Corruption, Target, Bound  string
		CalCoverage, TestRisk, TestCoverage string
		Holds                               bool
	}
	body := make([]line, len(keep))
	for i, r := range keep {
		body[i] = line{Setting: r.Setting, Corruption: r.Corruption, Target: fmtDecimals(r.TargetRisk, 3), Bound: fmtDecimals(r.Bound, 3),
			CalCoverage: fmtDecimals(r.CalCoverage, 3), TestRisk: fmtDecimals(r.TestRisk, 3), TestCoverage: fmtDecimals(r.TestCoverage, 3), Holds: r.Holds}
		if i == 0 || keep[i-1].Score != r.Score {
			body[i].Score = r.Score
			for j := i; j < len(keep) && keep[j].Score == r.Score; j++ {
				body[i].Span++
			}
		}
	}
	tpl := template.Must(template.New("t").Parse(`<table class="metrics guarantees">
<thead><tr><th>score</th><th>setting</th><th>corruption</th><th>target risk</th><th>bound{{if .Delta}}<br><span class="dir">at δ = {{.Delta}}</span>{{end}}</th><th>validation coverage</th><th>test risk</th><th>test coverage</th><th>holds</th></tr></thead>
<tbody>
{{range .Rows}}<tr>{{if .Span}}<td class="score" rowspan="{{.Span}}">{{.Score}}</td>{{end}}<td>{{.Setting}}</td><td>{{.Corruption}}</td><td>{{.Target}}</td><td>{{.Bound}}</td><td>{{.CalCoverage}}</td><td>{{.TestRisk}}</td><td>{{.TestCoverage}}</td>{{if .Holds}}<td>true</td>{{else}}<td class="broken"><strong>false</strong></td>{{end}}</tr>
{{end}}</tbody>
</table>`))
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, struct {
		Delta string
		Rows  []line
	}{sharedDelta(keep), body}); err != nil {
		return "", fmt.Errorf("risk guarantee table: %w", err)
	}
	return template.HTML(buf.String()), nil
}

// pooledGuarantees keeps the rows pooled over severities, checked, in
// table order: scores as in the failure-metric table, then iid, shift
// (every corruption pooled first) and mix.
func pooledGuarantees(rows []queries.RiskGuaranteeRow) ([]queries.RiskGuaranteeRow, error) {
	const what = "risk guarantee"
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows (did the risk_guarantee query match a complete failure run?)", what)
	}
	sc := newScope(what, "risk_guarantee", "run", "regime")
	var keep []queries.RiskGuaranteeRow
	var sevs []int
	seen := map[[3]string]bool{}
	for _, r := range rows {
		sc.add(r.Dataset+"/"+r.Run, r.Regime)
		sevs = append(sevs, r.Severity)
		if r.Severity != 0 {
			continue
		}
		name := fmt.Sprintf("score %s, setting %s, corruption %s", r.Score, r.Setting, r.Corruption)
		k := [3]string{r.Score, r.Setting, r.Corruption}
		if seen[k] {
			return nil, fmt.Errorf("%s: two rows for %s: filter the query to one run and regime", what, name)
		}
		seen[k] = true
		if !finite(r.TargetRisk) || r.TargetRisk < 0 || r.TargetRisk > 1 {
			return nil, fmt.Errorf("%s: %s: target risk %g is not a share in 0..1", what, name, r.TargetRisk)
		}
		keep = append(keep, r)
	}
	if _, err := sc.one(); err != nil {
		return nil, err
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%s: no rows pooled over severities (severity 0; rows have severities %s)", what, joinInts(uniqueSorted(sevs)))
	}
	setting := func(s string) int { return cmp.Or(slices.Index([]string{"iid", "shift", "mix"}, s)+1, 4) }
	corr := func(c string) string {
		if c == "all" {
			return "" // before every corruption
		}
		return c
	}
	order := sortCorruptions(column(keep, func(r queries.RiskGuaranteeRow) string { return r.Corruption }))
	slices.SortStableFunc(keep, func(a, b queries.RiskGuaranteeRow) int {
		return cmp.Or(scoreRank(a.Score)-scoreRank(b.Score), strings.Compare(a.Score, b.Score),
			setting(a.Setting)-setting(b.Setting),
			cmp.Compare(corrRank(order, corr(a.Corruption)), corrRank(order, corr(b.Corruption))))
	})
	return keep, nil
}

// corrRank is c's place in order; "" (every corruption) comes first.
func corrRank(order []string, c string) int {
	if c == "" {
		return -1
	}
	return slices.Index(order, c)
}

// sharedDelta is the confidence parameter δ of every row, or "" when the
// rows differ (then no single value belongs in the header).
func sharedDelta(rows []queries.RiskGuaranteeRow) string {
	var ds []string
	for _, r := range rows {
		ds = append(ds, strconv.FormatFloat(r.Delta, 'g', 4, 64))
	}
	if u := uniqueSorted(ds); len(u) == 1 && finite(rows[0].Delta) {
		return u[0]
	}
	return ""
}
