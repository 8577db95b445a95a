package mdm

// CompareVersions orders two version strings such as OS versions ("10.0.19045",
// "17.4.1") and app versions ("2.3.0-beta"). It compares dot-separated segments
// left to right: segments that are both decimal numbers compare numerically,
// others compare as strings; a missing segment counts as "0", so "17.4" equals
// "17.4.0". It returns -1, 0 or +1. It never allocates, because it runs inside a
// check-in for every targeted app.
func CompareVersions(a, b string) int {
	for a != "" || b != "" {
		var sa, sb string
		sa, a = cutSegment(a)
		sb, b = cutSegment(b)
		if c := compareSegment(sa, sb); c != 0 {
			return c
		}
	}
	return 0
}

func cutSegment(s string) (seg, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func compareSegment(a, b string) int {
	if a == "" {
		a = "0"
	}
	if b == "" {
		b = "0"
	}
	if isDigits(a) && isDigits(b) {
		a, b = trimZeros(a), trimZeros(b)
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
