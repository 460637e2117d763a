package main

import (
	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/bench"
	"github.com/gradprint/gradprint/internal/textout"
)

func newBenchCmd(g *globals) *cobra.Command {
	o := bench.Options{}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure sgemm peak and ResNet18 training/saliency speed, optionally beside PyTorch",
		Long: `bench measures, in one run, this machine's sgemm peak and, for ResNet18
(full width, 1 channel, 2 classes, seeded random images; the small stem
below 128 px, the ImageNet stem from 128 px, as train picks) at each
--sizes, the time per image of a training step (Adam) and of a saliency pass
(eval-mode forward and one backward to the eight thesis layers), after
warm-up. Each row gives the best and median wall time per image over --iters
steps, CPU time per image (steadier on a shared machine), effective GFLOPS
(convolution and linear FLOPs only), their ratio to the sgemm peak, and the
peak resident memory of that pass (Linux only).

With --peer and PyTorch importable by /usr/bin/python3, it also runs the
PyTorch peer's network from ../shared/peers/torch_resnet_bench.py (env
GRADPRINT_SHARED_PEERS names the folder): each pass at each size in a
process of its own, with the same batch, warm-up and timed steps and as
many threads as GOMAXPROCS, and adds PyTorch's times, peak RSS and the
ratios gradprint / torch: below 1 means gradprint is faster or smaller.

The table (or JSON with --json) goes to stdout, progress to stderr.`,
		Example: `  gradprint bench
  gradprint bench --sizes 28 --iters 10 --json
  gradprint bench --peer`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Seed = g.seed
			rep, err := bench.Run(cmd.Context(), o, g.log)
			if err != nil {
				return err
			}
			if asJSON {
				return textout.JSON(g.stdout, rep)
			}
			return bench.WriteTable(g.stdout, rep)
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&o.Sizes, "sizes", []int{28, 64, 224}, "image sizes in pixels (square), each 8 to 512 once; from 128 px the ImageNet stem")
	fl.IntVar(&o.Batch, "batch", 32, "images per step, 2 to 256")
	fl.IntVar(&o.Iters, "iters", 5, "timed steps per pass, after warm-up, 1 to 1000")
	fl.BoolVar(&asJSON, "json", false, "write the results as JSON instead of a table")
	fl.BoolVar(&o.Peer, "peer", false, "also run the PyTorch peer (needs /usr/bin/python3 with torch)")
	return cmd
}
