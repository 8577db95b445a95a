package tenant

import (
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// L1, S4: forgetting a token's date (SetTokenExpiry with the zero time) is not
// a renewal: a token the store reported expired, or that passed its date,
// stays expired until a renewed date comes or a sync says otherwise. A later
// date makes it valid again.
func TestTenant_L1_ForgettingTheDateRenewsNothing(t *testing.T) {
	for _, how := range []string{"store", "date"} {
		t.Run(how, func(t *testing.T) {
			ten, _, now, must := vppPair(t, 1)
			switch how {
			case "store": // a sync learned it (9625 and the like)
				if err := ten.SetTokenState(now, "tok", mdm.TokenExpired); err != nil {
					t.Fatal(err)
				}
			case "date":
				must(ten.SetTokenExpiry(now, "tok", now.Add(time.Hour)))
				now = now.Add(2 * time.Hour)
				var out CheckInResult
				if err := ten.CheckIn(now, &mdm.Report{Device: "ipad-a"}, &out); err != nil {
					t.Fatal(err)
				}
			}
			if st, _ := ten.TokenState("tok"); st != mdm.TokenExpired {
				t.Fatalf("state %v, want expired", st)
			}
			must(ten.SetTokenExpiry(now, "tok", time.Time{}))
			if st, _ := ten.TokenState("tok"); st != mdm.TokenExpired {
				t.Fatalf("forgetting the date: state %v, want still expired", st)
			}
			must(ten.SetTokenExpiry(now, "tok", now.AddDate(1, 0, 0)))
			if st, _ := ten.TokenState("tok"); st != mdm.TokenValid {
				t.Fatalf("a renewed date: state %v, want valid", st)
			}
		})
	}
}
