package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/internal/buildinfo"
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
			i := buildinfo.Read(version, commit)
			if asJSON {
				return json.NewEncoder(g.stdout).Encode(i)
			}
			_, err := fmt.Fprintf(g.stdout, "gradprint %s\ncommit    %s\ngo        %s %s\ngemm      %s\nlibrary   %s\ncore      %s\n",
				i.Version, i.Commit, i.Go, i.Platform, i.GEMM, i.Library, i.Core)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object instead of lines")
	return cmd
}
