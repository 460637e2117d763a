package main

import (
	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/pipeline"
	"github.com/gradprint/gradprint/internal/textout"
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
			return textout.Evaluation(g.stdout, res, asJSON)
		},
	}
	data.register(cmd.Flags())
	cmd.Flags().StringVar(&o.Model, "model", "", "model file (.safetensors, gradprint or torchvision names)")
	cmd.Flags().StringVar(&splits, "splits", "test", "comma-separated splits to evaluate, each of train, val, test once")
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON lines instead of a table")
	return cmd
}
