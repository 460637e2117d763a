package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gradprint/gradprint/warehouse"
)

// newSchemaCmd prints the warehouse schema documentation, generated from
// the Go table definitions (the same text as docs/schema.md).
func newSchemaCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the warehouse tables, their columns, types, units and ranges (Markdown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprint(g.stdout, warehouse.SchemaDoc())
			return err
		},
	}
}
