// Package reports draws gradprint's figures and writes the report's
// index.html. It knows nothing of models or Parquet: every figure takes
// plain Go rows that mirror a named query's columns (see queries.DecodeRows), so a
// figure can be regenerated after any query change without recomputing.
//
// Figures are sized for a printed page (2400 px wide by default, about
// 12 inches at 200 dpi). Panels are drawn with go-chart and composed into
// small-multiple grids here, because go-chart draws one chart per image;
// titles, shared axis titles and legends are drawn by this package so that
// they sit outside the panels and never cover data.
//
// Colours are stable across figures: CorruptionColor keys on the
// corruption name, SeverityColor is a sequential ramp over 1..5 and
// ClassColor keys on the class index, so "motion_blur" or "severity 4" looks
// the same in every picture of a report.
//
// Typical use, once the named queries have run:
//
//	rows, err := reports.DecodeRows[reports.LayerProfileRow](columns, values)
//	fig, err := reports.LayerProfile(rows, reports.LayerProfileOptions{Severity: 3, Selection: "incorrect"})
//	err = reports.WritePNG("out/layer_profile_s3_incorrect.png", fig.Image)
//
// or, for the whole report with its index.html:
//
//	figs, err := reports.WriteReport("out", reports.ReportInput{LayerProfile: rows, ...}, reports.Options{})
//
// Bad input (no rows, a severity or selection the rows do not have, rows of
// several runs where a figure shows one, NaN statistics) is an error naming
// what was asked and what exists, never an empty chart.
package reports
