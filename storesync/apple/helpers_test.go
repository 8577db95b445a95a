package apple

import (
	"encoding/json"
	"strconv"
	"strings"
)

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
