package tenant

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// JSON. The results an HTTP server sends (DeviceStatus, AppStatus,
// CheckInResult, Change, ...) marshal the way Microsoft Graph writes its
// resources: camelCase names (Graph's own where it has one: installState,
// installStateDetail, errorCode, installedDeviceCount, ...), enums by name
// (mdm's MarshalText; license's by their String names), zero times and empty
// lists left out. Every type reads back to the value it was written from.

// MarshalText writes an action by name ("reinstall").
func (a Action) MarshalText() ([]byte, error) {
	if a == 0 || a >= numActions {
		return nil, badName("action", a.String(), "T12", "use install, reinstall, reevaluate, uninstall or repair")
	}
	return []byte(a.String()), nil
}

// UnmarshalText reads an action by name.
func (a *Action) UnmarshalText(b []byte) error {
	for x := ActionInstall; x < numActions; x++ {
		if x.String() == string(b) {
			*a = x
			return nil
		}
	}
	return badName("action", string(b), "T12", "use install, reinstall, reevaluate, uninstall or repair")
}

func badName(field, value, rule, remedy string) error {
	return &mdm.ValidationError{Field: field, Value: value, Rule: rule, Err: mdm.ErrUnknownEnum,
		Reason: "is not a known name", Remedy: remedy}
}

// byName finds the value of a small enum whose String is name. Names of
// values past the last named one read "Kind(9)": the search stops there.
func byName[T ~uint8](field, name string, str func(T) string) (T, error) {
	for i := 0; i < 256; i++ {
		s := str(T(i))
		if strings.ContainsRune(s, '(') {
			break
		}
		if s == name {
			return T(i), nil
		}
	}
	return 0, badName(field, name, "", "use one of the names the service writes")
}

// ---- Change ----

// effectJSON is a license.Effect as JSON.
type effectJSON struct {
	Token   mdm.TokenID `json:"token"`
	Product string      `json:"product"`
	Holder  holderJSON  `json:"holder"`
	Outcome string      `json:"outcome"`
	Reason  string      `json:"reason,omitempty"`
	Kept    string      `json:"kept,omitempty"`
}

type holderJSON struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// MarshalJSON writes a Change: notify, commands, licenses (each with its pool,
// holder, outcome, reason and, for one kept, why).
func (c Change) MarshalJSON() ([]byte, error) {
	type plain Change
	out := struct {
		plain
		Licenses []effectJSON `json:"licenses,omitempty"`
	}{plain: plain(c)}
	for _, e := range c.Licenses {
		x := effectJSON{Token: e.Key.Token, Product: e.Key.Product, Holder: holderJSON{Kind: e.Holder.Kind.String(), ID: e.Holder.ID},
			Outcome: e.Outcome.String()}
		if e.Reason != license.NoReason {
			x.Reason = e.Reason.String()
		}
		if e.Kept != license.NotKept {
			x.Kept = e.Kept.String()
		}
		out.Licenses = append(out.Licenses, x)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Change) UnmarshalJSON(b []byte) error {
	type plain Change
	var in struct {
		*plain
		Licenses []effectJSON `json:"licenses"`
	}
	var x plain
	in.plain = &x
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	x.Licenses = nil
	for _, e := range in.Licenses {
		var (
			eff license.Effect
			err error
		)
		eff.Key = license.PoolKey{Token: e.Token, Product: e.Product}
		eff.Holder.ID = e.Holder.ID
		if eff.Holder.Kind, err = byName("licenses.holder.kind", e.Holder.Kind, license.HolderKind.String); err != nil {
			return err
		}
		if eff.Outcome, err = byName("licenses.outcome", e.Outcome, license.Outcome.String); err != nil {
			return err
		}
		if e.Reason != "" {
			if eff.Reason, err = byName("licenses.reason", e.Reason, license.Reason.String); err != nil {
				return err
			}
		}
		if e.Kept != "" {
			if eff.Kept, err = byName("licenses.kept", e.Kept, license.KeepReason.String); err != nil {
				return err
			}
		}
		x.Licenses = append(x.Licenses, eff)
	}
	*c = Change(x)
	return nil
}

// ---- AppStatus ----

// licensesJSON is a pool's license.Stats as JSON.
type licensesJSON struct {
	Total     int `json:"total"`
	Assigned  int `json:"assigned"`
	Available int `json:"available"`
	Retired   int `json:"retired"`
	Overage   int `json:"overage"`
	Waiting   int `json:"waiting"`
}

// MarshalJSON writes an AppStatus with Graph's device counts; licenses only
// for an app with a pool.
func (s AppStatus) MarshalJSON() ([]byte, error) {
	type plain AppStatus
	out := struct {
		plain
		Licenses *licensesJSON `json:"licenses,omitempty"`
	}{plain: plain(s)}
	if s.HasPool {
		l := licensesJSON(s.Licenses)
		out.Licenses = &l
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *AppStatus) UnmarshalJSON(b []byte) error {
	type plain AppStatus
	var x plain
	in := struct {
		*plain
		Licenses *licensesJSON `json:"licenses"`
	}{plain: &x}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	x.HasPool, x.Licenses = in.Licenses != nil, license.Stats{}
	if in.Licenses != nil {
		x.Licenses = license.Stats(*in.Licenses)
	}
	*s = AppStatus(x)
	return nil
}

// ---- RefusedRequest ----

// requestReasons name the sentinels a refused portal request wraps.
var requestReasons = [...]struct {
	name string
	err  error
}{
	{"notOffered", ErrNotOffered}, {"alreadyInstalled", ErrAlreadyInstalled}, {"installInProgress", ErrInstallInProgress},
	{"uninstallNotAllowed", ErrUninstallNotAllowed}, {"notInstalled", ErrNotInstalled}, {"unknownApp", mdm.ErrUnknownApp},
}

type refusedJSON struct {
	Request mdm.PortalRequest `json:"request"`
	Rule    string            `json:"rule,omitempty"`
	Reason  string            `json:"reason,omitempty"` // the sentinel by name
	Message string            `json:"message,omitempty"`
}

// MarshalJSON writes a refused request: the request, the rule, why (by name)
// and the message.
func (r RefusedRequest) MarshalJSON() ([]byte, error) {
	out := refusedJSON{Request: r.Request}
	if r.Err != nil {
		out.Message = r.Err.Error()
		var re *RequestError
		if errors.As(r.Err, &re) {
			out.Rule = re.Rule
		}
		for _, x := range requestReasons {
			if errors.Is(r.Err, x.err) {
				out.Reason = x.name
				break
			}
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes: Err is a *RequestError wrapping
// the sentinel named by the reason (or the message, when none is named).
func (r *RefusedRequest) UnmarshalJSON(b []byte) error {
	var in refusedJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*r = RefusedRequest{Request: in.Request}
	if in.Reason == "" && in.Message == "" {
		return nil
	}
	var cause error
	for _, x := range requestReasons {
		if x.name == in.Reason {
			cause = x.err
		}
	}
	if cause == nil {
		if in.Reason != "" {
			return badName("refused.reason", in.Reason, in.Rule, "use one of the names the service writes")
		}
		cause = errors.New(in.Message)
	}
	r.Err = &RequestError{App: in.Request.App, Action: in.Request.Action, Rule: in.Rule, Err: cause}
	return nil
}
