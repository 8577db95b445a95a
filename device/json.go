package device

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// JSON. A Profile travels inside the simulator's scenario files, written by
// people, so decoding is strict: an unknown or misspelled field, a field given
// twice, a number where a duration string belongs (or the reverse), a null, or
// trailing data is an error naming the field's path, never a silent default.
// Field names match exactly (encoding/json would accept any case).

// ParseProfile decodes a profile written as JSON over DefaultProfile (fields
// not given keep their default) and validates it. Errors are
// *mdm.ValidationError wrapping ErrInvalidProfile, with the field's JSON path.
func ParseProfile(data []byte) (Profile, error) {
	p := DefaultProfile()
	if err := json.Unmarshal(data, &p); err != nil {
		return Profile{}, asProfileError(err)
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// UnmarshalJSON decodes strictly into p: fields present replace p's values,
// fields absent keep them, so a scenario can start from DefaultProfile and
// give only what differs. It does not validate (call Validate, or use
// ParseProfile); on error p is unchanged.
func (p *Profile) UnmarshalJSON(data []byte) error {
	cp := *p
	if err := decodeStrict(data, reflect.ValueOf(&cp).Elem(), ""); err != nil {
		return err
	}
	*p = cp
	return nil
}

// asProfileError turns a syntax error from encoding/json (the only kind that
// does not come from decodeStrict) into the package's typed error.
func asProfileError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return profileError("", "offset "+strconv.FormatInt(se.Offset, 10), "is not valid JSON: "+se.Error(),
			"fix the JSON syntax of the profile")
	}
	return err
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func decodeStrict(data []byte, v reflect.Value, path string) error {
	data = bytes.TrimSpace(data)
	where := path
	if where == "" {
		where = "profile"
	}
	if len(data) == 0 {
		return profileError(where, "", "is empty", "give a JSON value")
	}
	if string(data) == "null" {
		return profileError(where, "null", "is null", "leave the field out to keep its default, or give a value")
	}
	if reflect.PointerTo(v.Type()).Implements(textUnmarshaler) {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return profileError(where, clip(data), "is not a string", hintFor(v.Type()))
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return profileError(where, s, "is "+err.Error(), hintFor(v.Type()))
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Dist]() {
			// A distribution given replaces the default whole: a "fixed" over a
			// default "lognormal" must not inherit its median.
			var zero Dist
			return decodeObject(data, reflect.ValueOf(&zero).Elem(), path, func() { v.Set(reflect.ValueOf(zero)) })
		}
		return decodeObject(data, v, path, nil)
	case reflect.Slice:
		var raws []json.RawMessage
		if data[0] != '[' || json.Unmarshal(data, &raws) != nil {
			return profileError(where, clip(data), "is not a JSON array", "give a list: [ … ]")
		}
		s := reflect.MakeSlice(v.Type(), len(raws), len(raws))
		for i, raw := range raws {
			if err := decodeStrict(raw, s.Index(i), where+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Float64:
		var f float64
		if data[0] == '"' || json.Unmarshal(data, &f) != nil {
			return profileError(where, clip(data), "is not a number", "give a number such as 0.02")
		}
		v.SetFloat(f)
		return nil
	case reflect.Int, reflect.Int32:
		var n int64
		if data[0] == '"' || json.Unmarshal(data, &n) != nil || v.OverflowInt(n) {
			return profileError(where, clip(data), "is not a whole number in range", "give a whole number such as 4")
		}
		v.SetInt(n)
		return nil
	case reflect.String:
		var s string
		if json.Unmarshal(data, &s) != nil {
			return profileError(where, clip(data), "is not a string", `give a string in quotes`)
		}
		v.SetString(s)
		return nil
	}
	return profileError(where, v.Type().String(), "has a type the profile decoder does not know", "report this as a bug in package device")
}

func decodeObject(data []byte, v reflect.Value, path string, commit func()) error {
	where := path
	if where == "" {
		where = "profile"
	}
	if data[0] != '{' {
		return profileError(where, clip(data), "is not a JSON object", "give an object: { … }")
	}
	fields := map[string]int{}
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // {
		return profileError(where, clip(data), "is not a JSON object", "give an object: { … }")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return profileError(where, clip(data), "is not a valid JSON object", "fix the JSON syntax")
		}
		key, isKey := tok.(string)
		if !isKey {
			return profileError(where, clip(data), "is not a valid JSON object", "fix the JSON syntax")
		}
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		i, ok := fields[key]
		if !ok {
			return profileError(sub, "", "is not a field of "+where, "check the spelling; the fields are "+strings.Join(sortedKeys(fields), ", "))
		}
		if seen[key] {
			return profileError(sub, "", "is given twice", "give each field once")
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return profileError(sub, "", "is not valid JSON", "fix the JSON syntax")
		}
		if err := decodeStrict(raw, v.Field(i), sub); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return profileError(where, clip(data), "is not a valid JSON object", "fix the JSON syntax")
	}
	if _, err := dec.Token(); err == nil {
		return profileError(where, clip(data), "has data after the object", "give one JSON object")
	}
	if commit != nil {
		commit()
	}
	return nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hintFor(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return `give a duration string such as "45m", "8h" or "14d"`
	case reflect.TypeFor[DistKind]():
		return `use "fixed", "uniform", "exponential" or "lognormal"`
	}
	return "give a string"
}

// clip shortens a value for an error message.
func clip(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
