package textout

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gradprint/gradprint/ingest"
)

// Registry writes the MedMNIST registry as a table, one dataset a row.
func Registry(w io.Writer, infos []*ingest.Info) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tMODALITY\tTASK\tCLASSES\tCHANNELS\tTRAIN/VAL/TEST\tSIZES")
	sizes := make([]string, len(ingest.Sizes))
	for i, s := range ingest.Sizes {
		sizes[i] = fmt.Sprint(s)
	}
	for _, in := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d/%d/%d\t%s\n", in.Flag, in.Modality, in.Task,
			in.NumClasses(), in.Channels, in.SplitSizes[ingest.Train], in.SplitSizes[ingest.Val],
			in.SplitSizes[ingest.Test], strings.Join(sizes, ","))
	}
	return tw.Flush()
}

// Verification writes each file's verdict (its report, or INVALID with
// the loader's reason) and a closing count. The error it returns names
// the invalid files, so that a command fails exactly when one is.
func Verification(w io.Writer, files []string, verify func(string) (*ingest.VerifyReport, error)) error {
	var official, other int
	var bad []string
	for _, f := range files {
		rep, err := verify(f)
		if err != nil {
			fmt.Fprintf(w, "%s: INVALID: %v\n", f, err)
			bad = append(bad, f)
			continue
		}
		if err := rep.WriteText(w); err != nil {
			return err
		}
		if rep.Official {
			official++
		} else {
			other++
		}
	}
	fmt.Fprintf(w, "%d files: %d official, %d not official, %d invalid\n", len(files), official, other, len(bad))
	if len(bad) > 0 {
		return fmt.Errorf("%d invalid file(s): %s", len(bad), strings.Join(bad, ", "))
	}
	return nil
}
