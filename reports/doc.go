// Package reports draws gradprint's figures and writes the report's
// index.html. It knows nothing of models or Parquet: every figure takes the
// typed rows of a named query (package queries), and the report takes the
// queries' answers, so each figure's title, caption and rerun command come
// from the query and parameter values that produced its rows. A figure can
// be regenerated after any query change without recomputing.
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
//	p := queries.LayerProfile().Defaults()
//	p.Severity, p.Selection = queries.Some(3), queries.Some("incorrect")
//	a, err := queries.LayerProfile().Run(ctx, db, p)
//	fig, err := reports.LayerProfile(a.Rows, reports.LayerProfileOptions{Severity: 3, Selection: "incorrect"})
//	err = reports.WritePNG("out/layer_profile_s3_incorrect.png", fig.Image)
//
// or, for the whole report with its index.html:
//
//	figs, err := reports.WriteReport("out", reports.ReportInput{LayerProfiles: []reports.LayerProfileAnswer{a}, ...}, reports.Options{})
//
// Bad input (no rows, a severity or selection the rows do not have, rows of
// several runs where a figure shows one, NaN statistics) is an error naming
// what was asked and what exists, never an empty chart.
package reports
