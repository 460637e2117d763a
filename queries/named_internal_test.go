package queries

import (
	"strings"
	"testing"
)

// A parameter struct that does not match its query's header is refused
// with a message naming the parameter.
func TestParamFieldsCheckTheHeader(t *testing.T) {
	q, err := Get("rmse_boxes")
	if err != nil {
		t.Fatal(err)
	}
	type wrongType struct {
		Dataset  Opt[string] `param:"dataset"`
		Run      Opt[string] `param:"run"`
		Split    Opt[string] `param:"split"`
		Method   Opt[string] `param:"method"`
		Severity Opt[string] `param:"severity"`
	}
	type missing struct {
		Dataset Opt[string] `param:"dataset"`
	}
	type extra struct {
		RMSEBoxesParams
		Layer Opt[string] `param:"layer"`
	}
	type notOpt struct {
		Dataset string `param:"dataset"`
	}
	for name, c := range map[string]struct {
		p    any
		want string
	}{
		"type":    {&wrongType{}, "parameter severity is int"},
		"missing": {&missing{}, "no field for parameter run"},
		"extra":   {&extra{}, "no parameter layer"},
		"not opt": {&notOpt{}, "want an Opt"},
	} {
		if _, err := paramFields(c.p, q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if _, err := paramFields(&RMSEBoxesParams{}, q); err != nil {
		t.Fatal(err)
	}
}

func TestOptParseAndText(t *testing.T) {
	var i Opt[int]
	if err := i.parse("7"); err != nil || i.text() != "7" || i.value() != 7 {
		t.Errorf("int: %v %q %v", err, i.text(), i.value())
	}
	if err := i.parse("x"); err == nil {
		t.Error("int parsed from x")
	}
	var f Opt[float64]
	if err := f.parse("0.25"); err != nil || f.text() != "0.25" {
		t.Errorf("float: %v %q", err, f.text())
	}
	if err := f.parse(""); err != nil || f.value() != nil || f.text() != "" {
		t.Errorf("empty is NULL: %v %v", err, f.value())
	}
	var b Opt[bool]
	if err := b.parse("true"); err != nil || b.value() != true || b.sqlType() != "bool" {
		t.Errorf("bool: %v %v", err, b.value())
	}
}
