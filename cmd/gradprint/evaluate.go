package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/compute/resnet"
	"github.com/gradprint/gradprint/compute/train"
	"github.com/gradprint/gradprint/ingest"
)

func newEvaluateCmd(g *globals) *cobra.Command {
	var (
		data   dataFlags
		model  string
		splits string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "AUC and ACC as MedMNIST defines them, per-class AUC, balanced accuracy and the confusion matrix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if model == "" {
				return fmt.Errorf("--model is required")
			}
			m, _, err := resnet.Load(model)
			if err != nil {
				return err
			}
			_, all, err := data.load(g)
			if err != nil {
				return err
			}
			type out struct {
				Split       string    `json:"split"`
				N           int       `json:"n"`
				AUC         float64   `json:"auc"`
				ACC         float64   `json:"acc"`
				BalancedACC float64   `json:"balanced_acc"`
				PerClassAUC []float64 `json:"per_class_auc"`
				Confusion   [][]int   `json:"confusion"`
				Classes     []string  `json:"classes"`
			}
			var res []out
			for _, s := range splitList(splits) {
				d := all[ingest.Split(s)]
				if d == nil {
					return fmt.Errorf("--splits: no split %q (want train, val, test)", s)
				}
				ev, err := train.Evaluate(m, d, 256)
				if err != nil {
					return err
				}
				res = append(res, out{s, d.N, ev.AUC, ev.ACC, ev.BalancedACC, ev.PerClassAUC, ev.Confusion, d.Classes})
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
	cmd.Flags().StringVar(&model, "model", "", "model file (.safetensors, gradprint or torchvision names)")
	cmd.Flags().StringVar(&splits, "splits", "test", "comma-separated splits to evaluate")
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON lines instead of a table")
	return cmd
}
