package sim

import "bytes"

// Scenario files may carry comments, as JSONC does (VS Code's settings,
// tsconfig.json): "// to the end of the line" and "/* a block */", anywhere
// white space may stand. JSON itself has none, and a scenario is a document
// people edit and annotate ("why 40 licenses?"), so DecodeScenario blanks them
// out before reading: every byte of a comment but its line breaks becomes a
// space, which keeps the line and column of every error exact. Nothing else
// of JSONC is accepted (no trailing commas): the strictness of the format is
// otherwise unchanged.

// stripComments returns data with its comments blanked, and the offset of a
// block comment left open (-1 when there is none). Data without a '/' is
// returned as it is; otherwise a copy is changed, never data itself.
func stripComments(data []byte) ([]byte, int) {
	if bytes.IndexByte(data, '/') < 0 {
		return data, -1
	}
	out := bytes.Clone(data)
	inString := false
	for i := 0; i < len(out); i++ {
		c := out[i]
		if inString {
			switch c {
			case '\\':
				i++ // the escaped byte cannot end the string
			case '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			end := bytes.Index(out[i+2:], []byte("*/"))
			if end < 0 {
				return data, i
			}
			for j := i; j < i+2+end+2; j++ {
				if out[j] != '\n' && out[j] != '\r' {
					out[j] = ' '
				}
			}
			i += 2 + end + 1
		}
	}
	return out, -1
}
