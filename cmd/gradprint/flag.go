package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/pipeline"
)

func newFlagCmd(g *globals) *cobra.Command {
	var (
		o      pipeline.FlagOptions
		resize string
	)
	cmd := &cobra.Command{
		Use:   "flag",
		Short: "Predict new images and flag those likely wrong with the fitted fingerprint detector",
		Long: `flag analyses new images exactly as the analyze run behind a failure run did
(same corruptions, severities, layers, saliency method and seed), scores them
with the detector fitted by ` + "`gradprint failure`" + `, and flags every image whose
score falls below a threshold calibrated on the validation split for a
target coverage (--coverage) or a target risk (--risk). Input: an .npz in
MedMNIST layout (its test split is used) or a folder of PNG files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if resize != "reject" && resize != "resize" {
				return fmt.Errorf("--resize %q: want reject or resize", resize)
			}
			o.Resize = resize == "resize"
			res, err := pipeline.Flag(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "image\tsource\tpredicted\tconfidence\tfailure_score\tflagged\n")
			for _, im := range res.Images {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%.3f\t%v\n", im.ImageID, cell(im.Source), cell(im.Predicted), im.Confidence, im.FailureScore, im.Flagged)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "", "model file the failure run's analyze run used")
	f.StringVar(&o.Images, "images", "", "new images: an .npz in MedMNIST layout (test split) or a folder of .png files")
	f.StringVar(&o.FailureRun, "failure-run", "", "failure run whose detector to use (default: the newest complete one)")
	f.Float64Var(&o.Coverage, "coverage", 0, "flag threshold reaching this coverage on validation, in (0, 1] (e.g. 0.9)")
	f.Float64Var(&o.Risk, "risk", 0, "flag threshold keeping selective risk on validation at or below this, in (0, 1) (e.g. 0.05)")
	f.StringVar(&resize, "resize", "reject", "images of another size: reject (error) or resize (bilinear)")
	return cmd
}

// cell keeps one value on one table line: a file name with a newline or a
// tab (legal on Linux) is printed quoted, as Go would write it.
func cell(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return strconv.Quote(s)
	}
	return s
}
