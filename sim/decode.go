package sim

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/device"
	"github.com/mdmkit/mdmkit/mdm"
)

// MaxScenarioBytes bounds a scenario file. Real scenarios are a few kilobytes:
// the fleet is described by its mix, not device by device.
const MaxScenarioBytes = 4 << 20

// DecodeScenario reads a scenario from JSON and validates it. It is strict: an
// unknown field, a field given twice, a value of the wrong kind, an unknown enum
// name or trailing data are errors, never ignored, because a typo in a
// what-if must not quietly run another what-if. Every error names the field and
// its line and column; all of them (up to MaxFieldErrors) are returned in one
// *ScenarioError wrapping ErrInvalidScenario. Fields left out take the
// defaults documented on each type. Comments, "// ..." and "/* ... */" as in
// JSONC, are allowed where white space is (comments.go).
func DecodeScenario(data []byte) (*Scenario, error) {
	sc, pos, err := decodeStrict(data)
	if err != nil {
		return nil, err
	}
	if err := sc.validate(pos); err != nil {
		return nil, err
	}
	return sc, nil
}

// ReadScenario reads and decodes a scenario from r; name is used in messages
// (usually the file name).
func ReadScenario(r io.Reader, name string) (*Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxScenarioBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxScenarioBytes {
		return nil, &ScenarioError{File: name, Errors: []*FieldError{{Reason: "is larger than 4 MiB",
			Remedy: "describe the fleet by its mix (shares, counts), not device by device"}}}
	}
	sc, err := DecodeScenario(data)
	var se *ScenarioError
	if errors.As(err, &se) {
		se.File = name
	}
	return sc, err
}

// positions maps a field path to where its value starts in the file.
type positions struct {
	data []byte
	at   map[string]int
}

// locate fills in the line and column of a field error from the path; a path
// not in the file (a field left out) takes its parent's place.
func (p *positions) locate(e *FieldError) {
	if p == nil || e.Line > 0 {
		return
	}
	path := e.Field
	for {
		if off, ok := p.at[path]; ok {
			e.Line, e.Column = lineCol(p.data, off)
			return
		}
		if path == "" {
			return
		}
		path = parentPath(path)
	}
}

// parentPath drops the last element of a path: "a.b[2]" → "a.b" → "a" → "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func lineCol(data []byte, off int) (line, col int) {
	off = min(off, len(data))
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// decodeStrict checks the JSON against the shape of Scenario while recording
// where every value starts, then decodes it.
func decodeStrict(data []byte) (*Scenario, *positions, error) {
	data, open := stripComments(data) // comments.go: offsets stay exact
	if open >= 0 {
		line, col := lineCol(data, open)
		return nil, nil, &ScenarioError{Errors: []*FieldError{{Line: line, Column: col,
			Reason: "has a /* comment that is never closed", Remedy: "close it with */"}}}
	}
	w := &walker{data: data, dec: json.NewDecoder(bytes.NewReader(data)),
		pos: &positions{data: data, at: map[string]int{}}}
	w.dec.UseNumber()
	w.value("", reflect.TypeFor[Scenario]())
	if w.fatal == nil && len(w.errs) == 0 {
		if _, err := w.dec.Token(); err != io.EOF {
			w.add(&FieldError{Line: 0, Reason: "has data after the scenario object",
				Remedy: "put exactly one JSON object in the file"}, w.offset())
		}
	}
	if len(w.errs) > 0 {
		return nil, w.pos, &ScenarioError{Errors: w.errs}
	}
	var sc Scenario
	if err := json.Unmarshal(data, &sc); err != nil {
		// The walk accepts only what Unmarshal accepts; reaching here is a bug in
		// the walk, reported rather than hidden.
		return nil, w.pos, &ScenarioError{Errors: []*FieldError{{Reason: "could not be decoded: " + err.Error(),
			Remedy: "report this scenario as a bug in package sim"}}}
	}
	return &sc, w.pos, nil
}

// walker reads the token stream of one JSON document alongside a Go type.
type walker struct {
	data  []byte
	dec   *json.Decoder
	pos   *positions
	errs  []*FieldError
	fatal error // a syntax error: the stream cannot be followed further
	// inProfile counts the device.Profile values being walked: inside one a
	// null is an error (package device decodes profiles strictly), where
	// elsewhere encoding/json leaves the field as it is.
	inProfile int
}

func (w *walker) add(e *FieldError, off int) {
	if len(w.errs) >= MaxFieldErrors {
		return
	}
	if e.Line == 0 {
		e.Line, e.Column = lineCol(w.data, off)
	}
	w.errs = append(w.errs, e)
}

// offset is where the next value starts: past white space and the separators
// the decoder has not consumed yet.
func (w *walker) offset() int {
	off := int(w.dec.InputOffset())
	for off < len(w.data) {
		switch w.data[off] {
		case ' ', '\t', '\n', '\r', ':', ',':
			off++
			continue
		}
		break
	}
	return off
}

// token reads the next token; a syntax error stops the walk.
func (w *walker) token() (json.Token, bool) {
	if w.fatal != nil {
		return nil, false
	}
	off := w.offset()
	t, err := w.dec.Token()
	if err != nil {
		w.fatal = err
		reason := "is not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			reason = "ends before the JSON is complete"
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Between tokens (a missing comma, the commonest slip) the
			// decoder's offset is that of the unexpected byte itself.
			off = min(int(se.Offset), len(w.data)-1)
		}
		w.add(&FieldError{Reason: reason, Remedy: "check the brackets, quotes and commas near this place"}, max(off, 0))
		return nil, false
	}
	return t, true
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// profileType is decoded by package device, which refuses a null anywhere in it.
var profileType = reflect.TypeFor[device.Profile]()

// fieldWise are struct types whose UnmarshalJSON decodes field by field, as
// encoding/json would (strictly, fields absent keeping their values): the walk
// goes into them like any struct, so that their errors name the inner field and
// its line.
var fieldWise = map[reflect.Type]bool{
	profileType:                    true,
	reflect.TypeFor[ProfileSpec](): true,
}

// value walks one JSON value that decodes into t, recording its position under
// path.
func (w *walker) value(path string, t reflect.Type) {
	off := w.offset()
	w.pos.at[path] = off
	if t == profileType {
		w.inProfile++
		defer func() { w.inProfile-- }()
	}
	pt := reflect.PointerTo(t)
	switch {
	case t.Kind() == reflect.Pointer:
		if w.peekNull() {
			w.token()
			return
		}
		w.value(path, t.Elem())
		return
	case pt.Implements(jsonUnmarshaler) && !pt.Implements(textUnmarshaler) && !fieldWise[t]:
		w.custom(path, off, t)
		return
	}
	tok, ok := w.token()
	if !ok {
		return
	}
	if tok == nil { // null: encoding/json leaves the zero value
		if w.inProfile > 0 {
			w.add(&FieldError{Field: path, Value: "null", Reason: "is null",
				Remedy: "leave the field out to keep the profile's default, or give a value"}, off)
		}
		return
	}
	wrong := func(want string) {
		w.add(&FieldError{Field: path, Value: tokenText(tok), Reason: "is " + kindOf(tok) + ", want " + want,
			Remedy: "see the documentation of the scenario format (package sim)"}, off)
		w.skipRest(tok)
	}
	if pt.Implements(textUnmarshaler) {
		s, isStr := tok.(string)
		if !isStr {
			wrong("a string")
			return
		}
		v := reflect.New(t)
		if err := v.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			w.add(textError(path, s, err, t), off)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if d, isDelim := tok.(json.Delim); !isDelim || d != '{' {
			wrong("an object")
			return
		}
		w.object(path, t)
	case reflect.Slice, reflect.Array:
		if d, isDelim := tok.(json.Delim); !isDelim || d != '[' {
			wrong("a list")
			return
		}
		for i := 0; w.more(); i++ {
			w.value(path+"["+strconv.Itoa(i)+"]", t.Elem())
		}
		w.token() // ]
	case reflect.String:
		if _, isStr := tok.(string); !isStr {
			wrong("a string")
		}
	case reflect.Bool:
		if _, isBool := tok.(bool); !isBool {
			wrong("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, isNum := tok.(json.Number)
		if !isNum {
			wrong("a whole number")
			return
		}
		if !fitsInt(string(n), t) {
			w.add(&FieldError{Field: path, Value: string(n), Reason: "is not a whole number in range for this field",
				Remedy: "write a whole number without a fraction or exponent, within range"}, off)
		}
	case reflect.Float32, reflect.Float64:
		n, isNum := tok.(json.Number)
		if !isNum {
			wrong("a number")
			return
		}
		if f, err := n.Float64(); err != nil || math.IsInf(f, 0) {
			w.add(&FieldError{Field: path, Value: string(n), Reason: "is out of range", Remedy: "write a smaller number"}, off)
		}
	default:
		// Scenario has no maps or interfaces; a new field of such a kind must be
		// taught to the walk.
		w.add(&FieldError{Field: path, Reason: "has a Go type the strict decoder does not know (" + t.String() + ")",
			Remedy: "report this as a bug in package sim"}, off)
		w.skipRest(tok)
	}
}

// object walks the members of a JSON object into struct type t.
func (w *walker) object(path string, t reflect.Type) {
	fields := jsonFields(t)
	seen := map[string]bool{}
	for w.more() {
		off := w.offset()
		tok, ok := w.token()
		if !ok {
			return
		}
		key, _ := tok.(string)
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		ft, known := fields[key]
		switch {
		case !known:
			w.add(&FieldError{Field: sub, Reason: "is not a field of " + describe(path),
				Remedy: "remove it or correct its spelling; known fields: " + strings.Join(sortedKeys(fields), ", ")}, off)
			w.skipValue()
			continue
		case seen[key]:
			w.add(&FieldError{Field: sub, Reason: "is given twice", Remedy: "keep one of them"}, off)
			w.skipValue()
			continue
		}
		seen[key] = true
		w.value(sub, ft)
	}
	w.token() // }
}

// custom checks a value of a type with its own UnmarshalJSON by decoding the
// value's bytes with it.
func (w *walker) custom(path string, off int, t reflect.Type) {
	start := off
	w.skipValue()
	if w.fatal != nil {
		return
	}
	raw := w.data[start:int(w.dec.InputOffset())]
	v := reflect.New(t)
	if err := v.Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
		w.add(textError(path, strings.TrimSpace(string(raw)), err, t), off)
	}
}

// textError turns the error of an UnmarshalText or UnmarshalJSON into a field
// error, keeping the reason and remedy of an mdm.ValidationError.
func textError(path, value string, err error, t reflect.Type) *FieldError {
	var ve *mdm.ValidationError
	if errors.As(err, &ve) {
		return &FieldError{Field: path, Value: value, Reason: ve.Reason, Remedy: ve.Remedy, Err: ve.Err}
	}
	if t == reflect.TypeFor[Duration]() {
		return &FieldError{Field: path, Value: value, Reason: "is not a span of time",
			Remedy: `write e.g. "30d", "1d12h", "8h", "90m" or "45s"`}
	}
	if t == reflect.TypeFor[time.Time]() {
		return &FieldError{Field: path, Value: value, Reason: "is not an RFC 3339 time",
			Remedy: "write a calendar time such as 2026-01-05T00:00:00Z"}
	}
	return &FieldError{Field: path, Value: value, Reason: "is not accepted: " + err.Error(),
		Remedy: "see the scenario format in the documentation of package sim"}
}

func (w *walker) peekNull() bool {
	off := w.offset()
	return bytes.HasPrefix(w.data[off:], []byte("null"))
}

func (w *walker) more() bool { return w.fatal == nil && w.dec.More() }

// skipValue reads past one whole value.
func (w *walker) skipValue() {
	if tok, ok := w.token(); ok {
		w.skipRest(tok)
	}
}

// skipRest reads past the rest of a value whose first token was tok.
func (w *walker) skipRest(tok json.Token) {
	d, isDelim := tok.(json.Delim)
	if !isDelim || (d != '{' && d != '[') {
		return
	}
	for depth := 1; depth > 0; {
		t, ok := w.token()
		if !ok {
			return
		}
		if d, isDelim := t.(json.Delim); isDelim {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
}

// jsonFields lists the JSON names of a struct's fields, embedded structs
// inlined, as encoding/json sees them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range jsonFields(et) {
					if _, dup := out[k]; !dup {
						out[k] = v
					}
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func fitsInt(s string, t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err := strconv.ParseUint(s, 10, t.Bits())
		return err == nil
	}
	_, err := strconv.ParseInt(s, 10, t.Bits())
	return err == nil
}

func kindOf(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	}
	return "null"
}

func tokenText(tok json.Token) string {
	switch v := tok.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func describe(path string) string {
	if path == "" {
		return "the scenario"
	}
	return path
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
