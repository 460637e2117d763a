package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/pipeline"
)

func newEvaluateCmd(g *globals) *cobra.Command {
	var (
		o      pipeline.EvaluateOptions
		data   dataFlags
		splits string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "AUC and ACC as MedMNIST defines them, per-class AUC, balanced accuracy and the confusion matrix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Data, o.Splits = data.source(), parseSplits(splits)
			res, err := pipeline.Evaluate(cmd.Context(), g.env(), o)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				for _, r := range res {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			for _, r := range res {
				fmt.Fprintf(tw, "split\tn\tAUC\tACC\tbalanced ACC\n%s\t%d\t%.4f\t%.4f\t%.4f\n\n", r.Split, r.N, r.AUC, r.ACC, r.BalancedACC)
				fmt.Fprintf(tw, "class\tAUC (one-vs-rest)\tconfusion row (predicted %s)\n", strings.Join(r.Classes, ", "))
				for i, c := range r.Classes {
					fmt.Fprintf(tw, "%s\t%.4f\t%v\n", c, r.PerClassAUC[i], r.Confusion[i])
				}
				fmt.Fprintln(tw)
			}
			return tw.Flush()
		},
	}
	data.register(cmd.Flags())
	cmd.Flags().StringVar(&o.Model, "model", "", "model file (.safetensors, gradprint or torchvision names)")
	cmd.Flags().StringVar(&splits, "splits", "test", "comma-separated splits to evaluate, each of train, val, test once")
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON lines instead of a table")
	return cmd
}
