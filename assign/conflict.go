package assign

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/mdmkit/mdmkit/mdm"
)

// Intent is an effective intent: a set of intents, because the A6 conflict table
// yields combined results ("required and available", "uninstall and available
// without enrollment"). The zero Intent means nothing applies.
//
// How a consumer reads the bits (the tenant does this): Required → install;
// Uninstall without Required → remove what the service installed (A10); Uninstall
// together with Available or AvailableWithoutEnrollment (A6 rows 7 and 19) → the
// app stays offered in the company portal and only a copy a required assignment
// installed is removed, never one the user installed from the portal (A7).
type Intent uint8

const (
	IntentRequired Intent = 1 << iota
	IntentAvailable
	IntentUninstall
	IntentAvailableWithoutEnrollment
)

// Has reports whether every intent of o is in i.
func (i Intent) Has(o Intent) bool { return i&o == o && o != 0 }

// String reads like the A6 table: "required", "required and available",
// "uninstall and available without enrollment", ...; "none" for the zero Intent.
// Row 7's result, which the SPEC prints as "available (see A7)", is
// IntentAvailable|IntentUninstall and reads "uninstall and available": the bits
// say what A7 makes of it (offered, and a required copy removed).
func (i Intent) String() string {
	if i == 0 {
		return "none"
	}
	var parts []string
	for _, n := range [...]struct {
		bit  Intent
		name string
	}{
		{IntentRequired, "required"},
		{IntentUninstall, "uninstall"},
		{IntentAvailable, "available"},
		{IntentAvailableWithoutEnrollment, "available without enrollment"},
	} {
		if i&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	if rest := i &^ (IntentRequired | IntentUninstall | IntentAvailable | IntentAvailableWithoutEnrollment); rest != 0 {
		parts = append(parts, "Intent("+strconv.Itoa(int(rest))+")")
	}
	return strings.Join(parts, " and ")
}

// Pairs is the set of (target kind, intent) pairs that reach a device for one app:
// U (through a user-kind target: a user group or All users) or D (through a
// device-kind target: a device group or All devices) × the four intents of A1.
// Resolution is a function of this set only (A6: order-independent, idempotent),
// looked up in a precomputed table of all 256 sets.
type Pairs uint8

// The bit of U/D × intent is 1 << (intent + 4·isDevice), with intent the Graph
// number of A1 (available 0, required 1, uninstall 2, availableWithoutEnrollment 3).
const (
	UserAvailable Pairs = 1 << iota
	UserRequired
	UserUninstall
	UserAvailableWithoutEnrollment
	DeviceAvailable
	DeviceRequired
	DeviceUninstall
	DeviceAvailableWithoutEnrollment

	userPairs   = UserAvailable | UserRequired | UserUninstall | UserAvailableWithoutEnrollment
	devicePairs = userPairs << 4
)

// PairOf is the pair of an assignment of intent i reaching a device through a
// target of member kind k.
func PairOf(k mdm.MemberKind, i mdm.Intent) Pairs {
	if !i.Valid() {
		return 0
	}
	p := Pairs(1) << i
	if k == mdm.DeviceMembers {
		p <<= 4
	}
	return p
}

var pairNames = [8]string{"U available", "U required", "U uninstall", "U AWOE", "D available", "D required", "D uninstall", "D AWOE"}

// String lists the pairs in the A6 table's notation: "U available + D required".
func (p Pairs) String() string {
	if p == 0 {
		return "none"
	}
	var parts []string
	for b := 0; b < 8; b++ {
		if p&(1<<b) != 0 {
			parts = append(parts, pairNames[b])
		}
	}
	return strings.Join(parts, " + ")
}

// RowPrecedence is the Row of a result that no row of the A6 table decides (a
// combination with device-kind "available", for example): it follows the
// precedence A6 states for them, "required beats everything; otherwise uninstall
// beats available except in row 7's case".
const RowPrecedence uint8 = 255

// a6Row is one row of SPEC A6. "U R&A" is the pair set {U required, U available}.
type a6Row struct {
	in   Pairs
	out  Intent
	text string // the row as the SPEC prints it
}

const (
	rA = IntentRequired | IntentAvailable
)

// a6Rows is SPEC A6, row by row; a6Rows[n] is row n.
var a6Rows = [20]a6Row{
	1:  {UserRequired | UserAvailable, rA, "U required + U available → required and available"},
	2:  {UserRequired | UserUninstall, IntentRequired, "U required + U uninstall → required"},
	3:  {UserAvailable | UserUninstall, IntentUninstall, "U available + U uninstall → uninstall"},
	4:  {UserRequired | DeviceRequired, IntentRequired, "U required + D required → required"},
	5:  {UserRequired | DeviceUninstall, IntentRequired, "U required + D uninstall → required"},
	6:  {UserAvailable | DeviceRequired, rA, "U available + D required → required and available"},
	7:  {UserAvailable | DeviceUninstall, IntentAvailable | IntentUninstall, "U available + D uninstall → available (A7: stays offered; a copy a required assignment installed is uninstalled)"},
	8:  {UserUninstall | DeviceRequired, IntentRequired, "U uninstall + D required → required"},
	9:  {UserUninstall | DeviceUninstall, IntentUninstall, "U uninstall + D uninstall → uninstall"},
	10: {DeviceRequired | DeviceUninstall, IntentRequired, "D required + D uninstall → required"},
	11: {UserRequired | UserAvailable, rA, "U R&A + U available → R&A"},
	12: {UserRequired | UserAvailable | UserUninstall, rA, "U R&A + U uninstall → R&A"},
	13: {UserRequired | UserAvailable | DeviceRequired, rA, "U R&A + D required → R&A"},
	14: {UserRequired | UserAvailable | DeviceUninstall, rA, "U R&A + D uninstall → required and available"},
	15: {UserAvailableWithoutEnrollment | UserRequired | UserAvailable, rA, "U AWOE + U R&A → R&A"},
	16: {UserAvailableWithoutEnrollment | UserRequired, IntentRequired, "U AWOE + U required → required"},
	17: {UserAvailableWithoutEnrollment | UserAvailable, IntentAvailable, "U AWOE + U available → available"},
	18: {UserAvailableWithoutEnrollment | DeviceRequired, IntentRequired | IntentAvailableWithoutEnrollment, "U AWOE + D required → required and AWOE"},
	19: {UserAvailableWithoutEnrollment | DeviceUninstall, IntentUninstall | IntentAvailableWithoutEnrollment, "U AWOE + D uninstall → uninstall and AWOE (A7: stays offered)"},
}

// RowText is row n of the A6 table as the SPEC prints it, or a description of
// RowPrecedence; "" for any other n.
func RowText(n uint8) string {
	if n == RowPrecedence {
		return "not a row of the A6 table; A6 precedence: required beats everything, otherwise uninstall beats available"
	}
	if n == 0 || int(n) >= len(a6Rows) {
		return ""
	}
	return a6Rows[n].text
}

// decide is the A6 conflict rule over a set of pairs. It is written as a
// precedence, not as a fold over assignments, so that the result depends on the
// set alone; the table below holds its 256 answers and TestA6Rows checks every row
// of the SPEC against it.
//
// The precedence, with the rows it reproduces:
//
//  1. Any required (U or D) wins (rows 2, 4, 5, 8, 10, 16). An available of
//     either kind stays beside it (rows 1, 6, 11–15; D available follows the same
//     rule, A6's precedence for unlisted sets). Without an available, a U AWOE
//     stays beside a required that comes from devices only (row 18), and is
//     dropped when a user-kind required reaches the same user (row 16).
//     Required is decided before uninstall removes anything: in
//     {U available, U uninstall, D required} the required removes the uninstall,
//     so the available survives as in row 12 and the result is "required and
//     available" (row 6), not "required" as reading row 3 first would give.
//  2. Otherwise a user-kind uninstall wins over every available (rows 3, 9; and
//     U AWOE + U uninstall → uninstall, unlisted, by "uninstall beats available").
//  3. Otherwise a device-kind uninstall wins, except that a user-kind available
//     stays offered beside it (row 7) and so does a U AWOE (row 19); when both
//     are there the available absorbs the AWOE as in row 17. A device-kind
//     available loses to a device-kind uninstall.
//  4. Otherwise any available gives available, absorbing a U AWOE (row 17).
//  5. Otherwise U AWOE alone gives available without enrollment.
//
// Sets the table leaves open, chosen here and tested by name:
//   - U AWOE + U required + D required → required: row 16 says a user's own
//     required assignment replaces that user's AWOE offer, and the device-kind
//     required (row 18) adds nothing the user-kind one did not already say, so
//     keeping AWOE would contradict row 16.
//   - U AWOE + U available + D uninstall → uninstall and available (row 7 after
//     row 17).
//
// D AWOE never arises: Assign refuses availableWithoutEnrollment on device-kind
// targets (D4: device targets do not reach unenrolled devices). It is ignored here
// so that the table is total.
func decide(p Pairs) Intent {
	switch {
	case p&(UserRequired|DeviceRequired) != 0:
		switch {
		case p&(UserAvailable|DeviceAvailable) != 0:
			return rA
		case p&UserAvailableWithoutEnrollment != 0 && p&UserRequired == 0:
			return IntentRequired | IntentAvailableWithoutEnrollment
		}
		return IntentRequired
	case p&UserUninstall != 0:
		return IntentUninstall
	case p&DeviceUninstall != 0:
		switch {
		case p&UserAvailable != 0:
			return IntentAvailable | IntentUninstall
		case p&UserAvailableWithoutEnrollment != 0:
			return IntentUninstall | IntentAvailableWithoutEnrollment
		}
		return IntentUninstall
	case p&(UserAvailable|DeviceAvailable) != 0:
		return IntentAvailable
	case p&UserAvailableWithoutEnrollment != 0:
		return IntentAvailableWithoutEnrollment
	}
	return 0
}

// decision is one entry of the precomputed table.
type decision struct {
	intent Intent
	row    uint8  // primary row, 0 for one pair, RowPrecedence when no row decides
	rows   uint32 // bit n: row n's pairs are all present and its result is the result
}

// table holds decide and the row attribution for all 256 pair sets; resolution
// only indexes it.
var table = func() (t [256]decision) {
	for p := range t {
		t[p] = decideRows(Pairs(p))
	}
	return t
}()

// decideRows attributes a result to rows: every row whose pairs are all present
// and whose result is the result applies; the primary row is the one with the most
// pairs (the most specific), the lowest number on a tie. Rows 1 and 11 have the
// same pairs ({U required, U available}), so row 1 is named for that set.
func decideRows(p Pairs) decision {
	d := decision{intent: decide(p)}
	best := -1
	for n := 1; n < len(a6Rows); n++ {
		r := a6Rows[n]
		if p&r.in != r.in || r.out != d.intent {
			continue
		}
		d.rows |= 1 << n
		if c := bits.OnesCount8(uint8(r.in)); c > best {
			best = c
			d.row = uint8(n)
		}
	}
	switch {
	case bits.OnesCount8(uint8(p&^DeviceAvailableWithoutEnrollment)) <= 1:
		d.row, d.rows = 0, 0
	case d.row == 0:
		d.row = RowPrecedence
	}
	return d
}

// Decide returns the effective intent of a set of pairs and the A6 row that
// decided it: 0 when the set holds one pair, RowPrecedence when no row of the table
// covers the set. It is the function resolution applies to every (device, app),
// after exclusions (A5), D4, A4 and A8 have shaped the set.
func Decide(p Pairs) (Intent, uint8) {
	d := table[p]
	return d.intent, d.row
}

// Rows lists every A6 row that applies to the set: its pairs are all present and
// its result is the set's result.
func Rows(p Pairs) []uint8 {
	var out []uint8
	for m := table[p].rows; m != 0; m &= m - 1 {
		out = append(out, uint8(bits.TrailingZeros32(m)))
	}
	return out
}
