package queries

import (
	"fmt"
	"io"
	"strings"
)

// WriteList describes every named query and its parameters: as text, or
// one JSON object per query when format is jsonl.
func WriteList(w io.Writer, format string) error {
	qs := List()
	if format == "jsonl" {
		res := &Result{Columns: []Column{{Name: "name"}, {Name: "description"}, {Name: "params"}}}
		for _, q := range qs {
			var ps []any
			for _, p := range q.Params {
				ps = append(ps, map[string]any{"name": p.Name, "type": p.Type, "default": p.Default, "description": p.Description})
			}
			res.Rows = append(res.Rows, []any{q.Name, q.Description, ps})
		}
		return res.Write(w, "jsonl")
	}
	var b strings.Builder
	for i, q := range qs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(q.Name + "\n")
		for _, line := range wrap(q.Description, 76) {
			b.WriteString("    " + line + "\n")
		}
		for _, p := range q.Params {
			def := p.Default
			if def == "" {
				def = `""`
			}
			fmt.Fprintf(&b, "    --param %-11s %-6s default %-10s %s\n", p.Name, p.Type, def, p.Description)
		}
	}
	_, err := fmt.Fprint(w, b.String())
	return err
}

func wrap(s string, width int) []string {
	var lines []string
	var cur string
	for _, w := range strings.Fields(s) {
		if cur != "" && len(cur)+1+len(w) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
