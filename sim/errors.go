package sim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidScenario is wrapped by every error that refuses a scenario, so a
// caller (cmd/fleetsim exits 2) tells a bad scenario from a failed run with
// errors.Is.
var ErrInvalidScenario = errors.New("invalid scenario")

// FieldError is one thing wrong with a scenario: the field as a path
// ("fleet.platforms[1].share"), where it stands in the file when the scenario
// came from JSON, the value found, what is wrong and what to do.
type FieldError struct {
	Field  string // dotted path with indexes: "timeline[3].count"; "" for the whole file
	Line   int    // 1-based line in the JSON; 0 when not known (a scenario built in Go)
	Column int    // 1-based column, in bytes
	Value  string // the value found, as text; "" when there is none
	Reason string // what is wrong: "must be between 0 and 1"
	Remedy string // what to do: "make the platform shares add up to 1"
	// Err is a more specific cause when there is one (e.g. an mdm sentinel such
	// as mdm.ErrUnknownEnum); nil otherwise.
	Err error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Column))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
	} else {
		b.WriteString("scenario")
	}
	if e.Value != "" {
		fmt.Fprintf(&b, " %s", quoteValue(e.Value))
	}
	b.WriteByte(' ')
	b.WriteString(e.Reason)
	if e.Remedy != "" {
		b.WriteString(": ")
		b.WriteString(e.Remedy)
	}
	return b.String()
}

// Unwrap lets errors.Is find ErrInvalidScenario and the specific cause.
func (e *FieldError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidScenario, e.Err}
	}
	return []error{ErrInvalidScenario}
}

// quoteValue prints a value found in the file: strings quoted, numbers and
// literals bare, long values cut.
func quoteValue(v string) string {
	if len(v) > 60 {
		v = v[:57] + "..."
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil || v == "true" || v == "false" || v == "null" {
		return v
	}
	return strconv.Quote(v)
}

// ScenarioError lists everything wrong with a scenario, in the order of the
// file (by line, then by field for errors without a line). A scenario is
// refused whole: nothing runs.
type ScenarioError struct {
	File   string // the file name when the scenario came from one, for messages
	Errors []*FieldError
}

// MaxFieldErrors bounds how many errors one validation reports; a file that is
// wrong everywhere says so in the first few.
const MaxFieldErrors = 25

func (e *ScenarioError) Error() string {
	var b strings.Builder
	for i, fe := range e.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.File != "" {
			b.WriteString(e.File)
			if fe.Line > 0 {
				b.WriteByte(':')
			} else {
				b.WriteString(": ")
			}
		}
		b.WriteString(fe.Error())
	}
	return b.String()
}

// Unwrap returns the field errors, for errors.Is and errors.As.
func (e *ScenarioError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		out[i] = fe
	}
	return out
}
