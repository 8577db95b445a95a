package license

import "github.com/mdmkit/mdmkit/mdm"

// AutoUpdates reports whether an app of a pool kind updates automatically for an
// intent (L9): VPP apps do for required and available assignments; an assignment
// that sets PreventAutoUpdate stops it only where the token allows preventing
// updates. Books and Store for Business apps are updated by their store, not
// through this setting, so it reports false for them.
func AutoUpdates(kind Kind, intent mdm.Intent, preventAutoUpdate, tokenAllowsPrevent bool) bool {
	if kind != VPPApp || (intent != mdm.Required && intent != mdm.Available) {
		return false
	}
	return !preventAutoUpdate || !tokenAllowsPrevent
}

// Eligible checks the requirements a pool kind implies for a device before a
// license is spent on it, with mdm's rules (T11): the platform; for Store for
// Business, Windows 10 version 1511 or later and an AD or workplace join (L16);
// for books, the built-in Books app (L8). It returns mdm.DetailNone when the
// device qualifies, else the detail to report; a nil device qualifies for
// nothing (mdm.DetailPlatformNotApplicable).
func Eligible(kind Kind, d *mdm.Device) mdm.InstallDetail {
	if d == nil {
		return mdm.DetailPlatformNotApplicable
	}
	var t mdm.AppType
	switch kind {
	case VPPApp:
		t = mdm.AppTypeIOSVPP
		if d.Platform == mdm.PlatformMacOS {
			t = mdm.AppTypeMacOSVPP
		}
	case VPPBook:
		t = mdm.AppTypeVPPBook
	case StoreOnline, StoreOffline:
		t = mdm.AppTypeStoreForBusiness
	default:
		return mdm.DetailPlatformNotApplicable
	}
	a := mdm.App{Type: t}
	return a.Evaluate(d)
}
