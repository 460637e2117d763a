package reports

// Figures draw the row types of the named queries (package queries), so a
// figure can be redrawn from any query answer. The two types below are
// what some figures take after the report has shaped those rows.

// MontageImage is one picture of the corruption montage. Severity 0 with
// Corruption "clean" is the unmodified image.
type MontageImage struct {
	Corruption string
	Severity   int
	Pixels     []uint8 // H x W x C, row-major, C = 1 (grey) or 3 (RGB)
	H, W, C    int
}

// RiskCoverage is one score's risk-coverage curve: selective risk (share of
// wrong predictions among the accepted) at each coverage (share accepted),
// coverage ascending in (0, 1].
type RiskCoverage struct {
	Score    string
	Coverage []float64
	Risk     []float64
}
