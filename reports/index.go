package reports

import (
	"bytes"
	"fmt"
	"github.com/gradprint/gradprint/queries"
	"html/template"
	"os"
	"path/filepath"
	"strings"

	"github.com/gradprint/gradprint/internal/atomicfile"
)

// Figure is one PNG of a report with what the index says about it.
type Figure struct {
	File    string // file name inside the report directory, e.g. layer_profile_s3_all.png
	Title   string
	Caption string
	Queries []queries.Ref // the queries whose rows the figure draws
}

// Table is an HTML table of a report (the failure-metric comparison).
type Table struct {
	Title   string
	Caption string
	Queries []queries.Ref
	HTML    template.HTML // from FailureMetricsHTML or GuaranteesHTML
}

// validQueryName reports whether s could name a query file (the .sql
// files are lower-case words joined by underscores).
func validQueryName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// WriteIndex writes dir/index.html showing every figure with its caption and
// the command that reruns its query, then the tables. It checks that each
// figure's file is in dir, so the page never shows a broken image; the
// write is atomic.
func WriteIndex(dir string, figs []Figure, tables ...Table) error {
	if len(figs) == 0 && len(tables) == 0 {
		return fmt.Errorf("write index in %s: no figures or tables", dir)
	}
	seen := map[string]bool{}
	for i, f := range figs {
		if f.File == "" || filepath.Base(f.File) != f.File || f.File == "." || f.File == ".." {
			return fmt.Errorf("write index: figure %d (%q): file %q must be a plain file name inside %s", i, f.Title, f.File, dir)
		}
		if seen[f.File] {
			return fmt.Errorf("write index: figure file %s listed twice", f.File)
		}
		seen[f.File] = true
		if f.Title == "" {
			return fmt.Errorf("write index: figure %s has no title", f.File)
		}
		st, err := os.Stat(filepath.Join(dir, f.File))
		if err != nil {
			return fmt.Errorf("write index: figure %s: %w", f.File, err)
		}
		if st.Size() == 0 {
			return fmt.Errorf("write index: figure %s is empty", filepath.Join(dir, f.File))
		}
		if err := checkQueries(f.Queries); err != nil {
			return fmt.Errorf("write index: figure %s: %w", f.File, err)
		}
	}
	for _, t := range tables {
		if err := checkQueries(t.Queries); err != nil {
			return fmt.Errorf("write index: table %q: %w", t.Title, err)
		}
	}
	var buf bytes.Buffer
	if err := indexTemplate().Execute(&buf, struct {
		Figures []Figure
		Tables  []Table
	}{figs, tables}); err != nil {
		return fmt.Errorf("write index: render HTML: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, "index.html"), buf.Bytes())
}

func checkQueries(qs []queries.Ref) error {
	if len(qs) == 0 {
		return fmt.Errorf("no query named: a reader could not rerun it")
	}
	for _, q := range qs {
		if !validQueryName(q.Name) {
			return fmt.Errorf("query name %q is not a named query (lower-case letters, digits, _)", q.Name)
		}
	}
	return nil
}

// indexTemplate is parsed per call: a template holds no state between
// executions, but keeping it out of package variables keeps the package free
// of globals.
func indexTemplate() *template.Template {
	return template.Must(template.New("index").Funcs(template.FuncMap{
		"anchor": func(s string) string { return strings.TrimSuffix(s, filepath.Ext(s)) },
	}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>gradprint report</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 1280px; margin: 2em auto; padding: 0 1em; color: #1a1a1a; }
figure { margin: 2.5em 0; }
figure img { width: 100%; height: auto; border: 1px solid #ddd; }
figcaption, .caption { margin-top: .5em; line-height: 1.45; }
code { background: #f4f4f4; padding: .1em .3em; font-size: 90%; }
pre { background: #f4f4f4; padding: .5em; overflow-x: auto; }
table.metrics { border-collapse: collapse; margin: 1em 0; }
table.metrics th, table.metrics td { padding: .35em .8em; text-align: center; border-bottom: 1px solid #ddd; }
table.metrics td.score { text-align: left; font-weight: 600; }
table.metrics td.best { background: #d9f0d3; }
table.metrics .ci { color: #5a5a5a; font-size: 85%; }
table.metrics .dir { color: #5a5a5a; font-size: 80%; font-weight: normal; }
table.metrics td.broken { background: #f8d7da; }
</style>
</head>
<body>
<h1>gradprint report</h1>
<p>Each figure below is drawn from the rows of the named queries listed under it; run a listed command to see those rows.</p>
<ul>
{{range .Figures}}<li><a href="#{{anchor .File}}">{{.Title}}</a></li>
{{end}}{{range $i, $t := .Tables}}<li><a href="#table-{{$i}}">{{$t.Title}}</a></li>
{{end}}</ul>
{{range .Figures}}<figure id="{{anchor .File}}">
<a href="{{.File}}"><img src="{{.File}}" alt="{{.Title}}" loading="lazy"></a>
<figcaption><strong>{{.Title}}.</strong> {{.Caption}}
{{range .Queries}}<pre>{{.Command}}</pre>
{{end}}</figcaption>
</figure>
{{end}}{{range $i, $t := .Tables}}<section id="table-{{$i}}">
<h2>{{$t.Title}}</h2>
{{$t.HTML}}
<p class="caption">{{$t.Caption}}</p>
{{range $t.Queries}}<pre>{{.Command}}</pre>
{{end}}</section>
{{end}}</body>
</html>
`))
}

// FailureMetricsHTML renders the failure-score comparison as an HTML table:
// one row per score, one column per metric with its 95 % interval, the
// best score per metric marked.
func FailureMetricsHTML(rows []queries.FailureMetricRow) (template.HTML, error) {
	t, err := newFailureTable(rows)
	if err != nil {
		return "", err
	}
	type cell struct {
		Value, CI string
		Best      bool
	}
	type head struct{ Label, Dir string }
	type row struct {
		Score string
		Cells []cell
	}
	var heads []head
	for _, m := range t.Metrics {
		_, up, label := metricInfo(m)
		dir := "lower is better"
		if up {
			dir = "higher is better"
		}
		heads = append(heads, head{label, dir})
	}
	var body []row
	for _, s := range t.Scores {
		r := row{Score: s}
		for _, m := range t.Metrics {
			v, ci := t.cellText(s, m)
			r.Cells = append(r.Cells, cell{v, ci, t.Best[m] == s})
		}
		body = append(body, r)
	}
	tpl := template.Must(template.New("t").Parse(`<table class="metrics">
<thead><tr><th>score</th>{{range .Heads}}<th>{{.Label}}<br><span class="dir">{{.Dir}}</span></th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><td class="score">{{.Score}}</td>{{range .Cells}}<td{{if .Best}} class="best"{{end}}>{{if .Best}}<strong>{{.Value}}</strong>{{else}}{{.Value}}{{end}}{{if .CI}}<br><span class="ci">{{.CI}}</span>{{end}}</td>{{end}}</tr>
{{end}}</tbody>
</table>`))
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, struct {
		Heads []head
		Rows  []row
	}{heads, body}); err != nil {
		return "", fmt.Errorf("failure metrics table: %w", err)
	}
	return template.HTML(buf.String()), nil
}
