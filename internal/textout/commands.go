package textout

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gradprint/gradprint/internal/buildinfo"
	"github.com/gradprint/gradprint/internal/pipeline"
)

// JSON writes v as one indented JSON document.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Demo writes where the demo put everything and three queries to try on
// it; out is the --out folder the queries name.
func Demo(w io.Writer, res *pipeline.DemoResult, out string) error {
	_, err := fmt.Fprintf(w, `
demo finished in %.0f s
  data       %s
  model      %s
  warehouse  %s  (Hive-partitioned Parquet: <table>/dataset=<flag>/run=<id>/)
  report     %s

three queries to try:
  gradprint --out %s query layer_profile --param severity=3 --param selection=incorrect
  gradprint --out %s query rmse_auc_correlation --format csv
  gradprint --out %s query --sql "SELECT corruption, severity, avg(rmse) AS mean_rmse FROM saliency GROUP BY ALL ORDER BY mean_rmse DESC LIMIT 5"
`, res.Seconds, res.Data, res.Model, res.Warehouse, res.Report, out, out, out)
	return err
}

// Evaluation writes each split's scores: as JSON lines, or as a table of
// AUC, ACC and balanced ACC followed by per-class AUC and confusion rows.
func Evaluation(w io.Writer, res []pipeline.SplitEvaluation, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, r := range res {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range res {
		fmt.Fprintf(tw, "split\tn\tAUC\tACC\tbalanced ACC\n%s\t%d\t%.4f\t%.4f\t%.4f\n\n", r.Split, r.N, r.AUC, r.ACC, r.BalancedACC)
		fmt.Fprintf(tw, "class\tAUC (one-vs-rest)\tconfusion row (predicted %s)\n", strings.Join(r.Classes, ", "))
		for i, c := range r.Classes {
			fmt.Fprintf(tw, "%s\t%.4f\t%v\n", c, r.PerClassAUC[i], r.Confusion[i])
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// Version writes what the binary is: one JSON object, or aligned lines.
func Version(w io.Writer, i buildinfo.Info, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(i)
	}
	_, err := fmt.Fprintf(w, "gradprint %s\ncommit    %s\ngo        %s %s\ngemm      %s\nlibrary   %s\ncore      %s\nresults   %s\n",
		i.Version, i.Commit, i.Go, i.Platform, i.GEMM, i.Library, buildinfo.CoreLabel(i.Core, i.CoreType), i.Reproducibility())
	return err
}
