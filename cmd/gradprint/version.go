package main

import (
	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/buildinfo"
	"github.com/gradprint/gradprint/internal/textout"
)

func newVersionCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go toolchain and GEMM library of this binary",
		Long: `version prints what runs: the version and commit the binary was built from,
the Go toolchain and platform, the GEMM backend compiled in and, for
OpenBLAS, its build configuration and the kernel set (core type) it chose
for this CPU. Machines with different core types round differently, so the
same seed can give a different model; every step also logs this when it
opens its run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return textout.Version(g.stdout, buildinfo.Read(version, commit), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object instead of lines")
	return cmd
}
