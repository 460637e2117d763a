package main

import (
	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/textout"
)

func newReportCmd(g *globals) *cobra.Command {
	o := pipeline.DefaultReportOptions()
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Render the thesis's figures and the failure comparison from the warehouse (no model needed)",
		Long: `report runs the named queries over the warehouse and draws PNG figures plus an
index.html that names the query behind each figure. It reads only the
warehouse: rerun it after any query change.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := pipeline.Report(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			return textout.Step(g.stdout, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dataset, "dataset", "", "dataset partition to report on (default: any)")
	f.StringVar(&o.Run, "run", "", "analyze run id (default: the newest complete analyze run)")
	f.StringVar(&o.Dir, "report-dir", "", "output folder (default <out>/report)")
	f.StringVar(&o.Method, "method", o.Method, "saliency method to draw: gradcampp, gradcam or layercam")
	f.IntVar(&o.Severity, "severity", o.Severity, "severity of the saliency grid, 1 to 5")
	f.IntVar(&o.ImageID, "image-id", o.ImageID, "test image of the montage and saliency grid, one whose maps analyze stored (default -1: the first stored one)")
	f.IntVar(&o.Width, "width", o.Width, "figure width in pixels, 800 to 8000")
	f.StringVar(&o.Compare, "compare", "", "another analyze run id to draw beside this one (AUC drop and layer profile of both, e.g. a plain and an augmented model)")
	return cmd
}
