package mdm

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AddOptions is the context of adding or updating an app that ValidateApp needs
// but the app itself does not carry.
type AddOptions struct {
	// Trial marks a trial tenant, which has TrialStorageLimit of package storage
	// in total (C3). A paid tenant has no total limit.
	Trial bool
	// StorageUsed is the package storage the tenant already uses, in bytes, not
	// counting the app being validated.
	StorageUsed int64
	// FromSync says the app comes from store sync. Store-synced types can be added
	// only this way, and only they can (C4).
	FromSync bool
	// Policy supplies the limits; nil means DefaultPolicy().
	Policy *Policy
}

func (o *AddOptions) policy() *Policy {
	if o.Policy != nil {
		return o.Policy
	}
	p := DefaultPolicy()
	return &p
}

// ValidateApp checks the rules of adding an app that need no other app: the id and
// name, text that is valid UTF-8 (so that it survives JSON), the type, store origin (C4), the package against the type (C2: extension,
// URL, identifier; C3: size limits), and the shape of its dependency and
// supersedence edges (C9, C10: Win32 only, no self-edges, no duplicates). Rules
// across apps (tree and graph sizes, cycles, edge targets) are checked by
// ValidateGraph.
func ValidateApp(a *App, opts AddOptions) error {
	if a == nil {
		return missing("app", "the app to validate")
	}
	if err := CheckID("id", string(a.ID)); err != nil {
		return err
	}
	if strings.TrimSpace(a.DisplayName) == "" {
		return &ValidationError{Field: "displayName", Err: ErrMissingField, Rule: "C2",
			Reason: "is empty", Remedy: "give the app the name users see in the company portal"}
	}
	if err := validateText(a); err != nil {
		return err
	}
	if !a.Type.Valid() {
		return &ValidationError{Field: "@odata.type", Value: a.Type.String(), Rule: "C2", Err: ErrUnknownEnum,
			Reason: "is not a known app type", Remedy: "use one of the AppType constants"}
	}
	if err := validateOrigin(a, opts.FromSync); err != nil {
		return err
	}
	if err := validatePackage(a, &opts); err != nil {
		return err
	}
	if a.State > Processing {
		return &ValidationError{Field: "publishingState", Value: a.State.String(), Rule: "C6", Err: ErrUnknownEnum,
			Reason: "is not a publishing state", Remedy: "use published, notPublished or processing"}
	}
	if err := validateCategories(a.Categories); err != nil {
		return err
	}
	if err := validateEdges(a); err != nil {
		return err
	}
	return validateRequirements(&a.Requirements)
}

// validateText refuses text that is not valid UTF-8: JSON would carry it as
// U+FFFD, and the app read back would not be the app that was stored.
func validateText(a *App) error {
	texts := [...]struct{ field, s string }{
		{"displayName", a.DisplayName}, {"displayVersion", a.Version}, {"publisher", a.Publisher},
		{"package.fileName", a.Package.FileName}, {"appUrl", a.URL}, {"identifier", a.Identifier},
		{"origin.productId", a.Origin.ProductID}, {"requirements.minimumOsVersion", a.Requirements.MinOSVersion},
	}
	for _, t := range texts {
		if !utf8.ValidString(t.s) {
			return invalidText(t.field, t.s)
		}
	}
	for i, c := range a.Categories {
		if !utf8.ValidString(c) {
			return invalidText("categories["+strconv.Itoa(i)+"]", c)
		}
	}
	return nil
}

func invalidText(field, s string) error {
	return &ValidationError{Field: field, Value: strings.ToValidUTF8(s, "\uFFFD"), Rule: "text", Err: ErrInvalidSetting,
		Reason: "is not valid UTF-8", Remedy: "encode text as UTF-8"}
}

func validateOrigin(a *App, fromSync bool) error {
	t := a.Type
	o := a.Origin
	if t.IsSynced() && !fromSync {
		return &ValidationError{Field: "@odata.type", Value: t.String(), Rule: "C4", Err: ErrStoreSynced,
			Reason: "is synced from " + t.Store().String() + " and cannot be added by hand",
			Remedy: "buy or assign it in the store and run a store sync"}
	}
	if !t.IsSynced() {
		if fromSync {
			return &ValidationError{Field: "@odata.type", Value: t.String(), Rule: "C4", Err: ErrStoreSynced,
				Reason: "is not a store-synced type", Remedy: "add it by hand; sync only brings VPP and Store for Business apps"}
		}
		if o != (StoreOrigin{}) {
			return &ValidationError{Field: "origin", Value: o.Store.String(), Rule: "C4", Err: ErrStoreSynced,
				Reason: "is set on an app added by hand", Remedy: "leave origin empty; only synced apps have one"}
		}
		return nil
	}
	if o.Store != t.Store() {
		return &ValidationError{Field: "origin.store", Value: o.Store.String(), Rule: "C4", Err: ErrStoreSynced,
			Reason: "does not match the app type's store " + t.Store().String(), Remedy: "set origin.store to " + t.Store().String()}
	}
	if err := CheckID("origin.token", string(o.Token)); err != nil {
		return err
	}
	if o.ProductID == "" {
		return &ValidationError{Field: "origin.productId", Rule: "C4", Err: ErrMissingField,
			Reason: "is empty", Remedy: "set the store's product id (Apple adamId, Store for Business product id)"}
	}
	switch {
	case t.Store() == StoreMicrosoftBusiness && o.Licensing != LicenseOnline && o.Licensing != LicenseOffline:
		return &ValidationError{Field: "origin.licenseType", Value: o.Licensing.String(), Rule: "L13", Err: ErrMissingField,
			Reason: "must be online or offline for a Store for Business app", Remedy: "copy the licensing type the store reports"}
	case t.Store() == StoreAppleVPP && o.Licensing != LicenseModeUnset:
		return &ValidationError{Field: "origin.licenseType", Value: o.Licensing.String(), Rule: "L13", Err: ErrInvalidSetting,
			Reason: "applies to Store for Business apps only", Remedy: "leave it unset for VPP apps"}
	}
	return nil
}

func validatePackage(a *App, opts *AddOptions) error {
	t := a.Type
	kind := t.PackageKind()
	if kind != PackageFile && a.Package != (Package{}) {
		return &ValidationError{Field: "package.fileName", Value: a.Package.FileName, Rule: "C2", Err: ErrExtension,
			Reason: "is given, but the " + t.DisplayName() + " type takes no uploaded package",
			Remedy: "leave the package empty for this app type"}
	}
	if a.URL != "" || kind == PackageStoreURL || kind == PackageWebURL {
		field := "appUrl"
		if kind == PackageStoreURL || t.General() == GeneralStore {
			field = "appStoreUrl"
		}
		if err := checkHTTPURL(field, a.URL); err != nil {
			return err
		}
	}
	switch kind {
	case PackageFile:
		return validateFile(a, opts)
	case PackageFromStore:
		if a.Identifier == "" {
			return &ValidationError{Field: "identifier", Rule: "C2", Err: ErrMissingField,
				Reason: "is empty", Remedy: "set the bundle id, package id or catalog id chosen for this " + t.DisplayName()}
		}
	case PackageIdentity:
		if a.Identifier == "" {
			return &ValidationError{Field: "identifier", Rule: "C2", Err: ErrMissingField,
				Reason: "is empty", Remedy: "set the package id of the system app (with its publisher)"}
		}
		if a.Publisher == "" {
			return &ValidationError{Field: "publisher", Rule: "C2", Err: ErrMissingField,
				Reason: "is empty", Remedy: "set the publisher of the system app (with its package id)"}
		}
	}
	return nil
}

func validateFile(a *App, opts *AddOptions) error {
	t := a.Type
	p := a.Package
	if p.FileName == "" {
		return &ValidationError{Field: "package.fileName", Rule: "C2", Err: ErrMissingField,
			Reason: "is empty", Remedy: "upload a " + strings.Join(t.info().exts, ", ") + " package"}
	}
	if !t.AcceptsExtension(p.FileName) {
		return &ValidationError{Field: "package.fileName", Value: p.FileName, Rule: "C2", Err: ErrExtension,
			Reason: "does not end in an extension the " + t.DisplayName() + " type accepts",
			Remedy: "upload a package ending in " + strings.Join(t.info().exts, ", ") + ", or choose the app type that matches the file"}
	}
	if p.Size <= 0 {
		return &ValidationError{Field: "package.size", Value: strconv.FormatInt(p.Size, 10), Rule: "C3", Err: ErrMissingField,
			Reason: "must be a positive number of bytes", Remedy: "set the size of the uploaded file"}
	}
	if limit := t.MaxPackageSize(); limit > 0 && p.Size > limit {
		return &ValidationError{Field: "package.size", Value: formatBytes(p.Size), Rule: "C3", Err: ErrPackageTooLarge,
			Reason: "is over the " + formatBytes(limit) + " limit of the " + t.DisplayName() + " type",
			Remedy: "reduce the package below " + formatBytes(limit)}
	}
	if opts.Trial {
		limit := opts.policy().TrialStorageLimit
		// p.Size and limit are positive, so limit-p.Size cannot overflow, where
		// StorageUsed+p.Size can and would wrap to a negative total that passes.
		if opts.StorageUsed < 0 || opts.StorageUsed > limit-p.Size {
			var reason string
			switch {
			case opts.StorageUsed < 0:
				reason = fmt.Sprintf("cannot be checked against the trial tenant's %s total: the storage used is given as %d bytes",
					formatBytes(limit), opts.StorageUsed)
			case opts.StorageUsed > math.MaxInt64-p.Size:
				reason = fmt.Sprintf("cannot be added: the trial tenant already uses %s, over its %s total",
					formatBytes(opts.StorageUsed), formatBytes(limit))
			default:
				reason = fmt.Sprintf("would bring the trial tenant's storage to %s, over its %s total",
					formatBytes(opts.StorageUsed+p.Size), formatBytes(limit))
			}
			return &ValidationError{Field: "package.size", Value: formatBytes(p.Size), Rule: "C3", Err: ErrTrialStorage,
				Reason: reason, Remedy: "delete unused packages or move to a paid tenant, which has no total limit"}
		}
	}
	return nil
}

// formatBytes prints a size exactly when it is a whole number of GiB or MiB, and
// in bytes otherwise, so limits and values in messages are never rounded.
func formatBytes(n int64) string {
	switch {
	case n != 0 && n%GiB == 0:
		return strconv.FormatInt(n/GiB, 10) + " GiB"
	case n != 0 && n%MiB == 0:
		return strconv.FormatInt(n/MiB, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func checkHTTPURL(field, raw string) error {
	bad := func(reason string) error {
		return &ValidationError{Field: field, Value: raw, Rule: "C2", Err: ErrInvalidURL,
			Reason: reason, Remedy: "give an absolute URL such as https://contoso.com/app"}
	}
	if raw == "" {
		return bad("is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("does not parse as a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad("is not an http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return bad("has no host")
	}
	return nil
}

func validateCategories(cs []string) error {
	for i, c := range cs {
		if strings.TrimSpace(c) == "" {
			return &ValidationError{Field: "categories[" + strconv.Itoa(i) + "]", Rule: "C7", Err: ErrMissingField,
				Reason: "is empty", Remedy: "remove the empty category"}
		}
	}
	if i := firstDuplicate(len(cs), func(i int) string { return cs[i] }); i >= 0 {
		return &ValidationError{Field: "categories[" + strconv.Itoa(i) + "]", Value: cs[i], Rule: "C7", Err: ErrInvalidSetting,
			Reason: "is listed twice", Remedy: "list each category once"}
	}
	return nil
}

// firstDuplicate returns the index of the first of n keys that equals an earlier
// one, or -1. Short lists are compared pairwise, which allocates nothing; long
// ones go through a set, so a hostile list of a million entries costs linear
// time, not quadratic.
func firstDuplicate[K comparable](n int, key func(int) K) int {
	if n <= 64 {
		for i := 1; i < n; i++ {
			k := key(i)
			for j := 0; j < i; j++ {
				if key(j) == k {
					return i
				}
			}
		}
		return -1
	}
	seen := make(map[K]struct{}, n)
	for i := 0; i < n; i++ {
		k := key(i)
		if _, ok := seen[k]; ok {
			return i
		}
		seen[k] = struct{}{}
	}
	return -1
}

func validateEdges(a *App) error {
	if len(a.Dependencies) > 0 && !a.Type.IsWin32() {
		return &ValidationError{Field: "dependencies", Value: a.Type.String(), Rule: "C9", Err: ErrDependencyNotWin32,
			Reason: "are set on an app that is not Win32", Remedy: "only Win32 apps take dependencies"}
	}
	for i, d := range a.Dependencies {
		field := "dependencies[" + strconv.Itoa(i) + "]"
		if err := CheckID(field+".appId", string(d.App)); err != nil {
			return err
		}
		if d.Kind > DetectOnly {
			return &ValidationError{Field: field + ".dependencyType", Value: d.Kind.String(), Rule: "C9", Err: ErrUnknownEnum,
				Reason: "is not a dependency type", Remedy: "use autoInstall or detect"}
		}
		if d.App == a.ID {
			return &ValidationError{Field: field + ".appId", Value: string(d.App), Rule: "C9", Err: ErrDependencyCycle,
				Reason: "is the app itself", Remedy: "an app cannot depend on itself"}
		}
	}
	if i := firstDuplicate(len(a.Dependencies), func(i int) AppID { return a.Dependencies[i].App }); i >= 0 {
		return &ValidationError{Field: "dependencies[" + strconv.Itoa(i) + "].appId", Value: string(a.Dependencies[i].App), Rule: "C9", Err: ErrInvalidSetting,
			Reason: "is listed twice", Remedy: "list each dependency once"}
	}
	if len(a.Supersedes) > 0 && !a.Type.IsWin32() {
		return &ValidationError{Field: "supersedes", Value: a.Type.String(), Rule: "C10", Err: ErrSupersedenceNotWin32,
			Reason: "is set on an app that is not Win32", Remedy: "only Win32 apps take supersedence"}
	}
	for i, s := range a.Supersedes {
		field := "supersedes[" + strconv.Itoa(i) + "]"
		if err := CheckID(field+".appId", string(s.App)); err != nil {
			return err
		}
		if s.Kind > Replace {
			return &ValidationError{Field: field + ".supersedenceType", Value: s.Kind.String(), Rule: "C10", Err: ErrUnknownEnum,
				Reason: "is not a supersedence type", Remedy: "use update or replace"}
		}
		if s.App == a.ID {
			return &ValidationError{Field: field + ".appId", Value: string(s.App), Rule: "C10", Err: ErrSupersedenceCycle,
				Reason: "is the app itself", Remedy: "an app cannot supersede itself"}
		}
	}
	if i := firstDuplicate(len(a.Supersedes), func(i int) AppID { return a.Supersedes[i].App }); i >= 0 {
		return &ValidationError{Field: "supersedes[" + strconv.Itoa(i) + "].appId", Value: string(a.Supersedes[i].App), Rule: "C10", Err: ErrInvalidSetting,
			Reason: "is listed twice", Remedy: "list each superseded app once"}
	}
	return nil
}

func validateRequirements(r *Requirements) error {
	neg := func(field string, v int64) error {
		return &ValidationError{Field: "requirements." + field, Value: strconv.FormatInt(v, 10), Rule: "T11", Err: ErrInvalidSetting,
			Reason: "is negative", Remedy: "use 0 for no requirement"}
	}
	switch {
	case r.MinFreeDiskMB < 0:
		return neg("minimumFreeDiskSpaceInMB", r.MinFreeDiskMB)
	case r.MinMemoryMB < 0:
		return neg("minimumMemoryInMB", r.MinMemoryMB)
	case r.MinCPUs < 0:
		return neg("minimumNumberOfProcessors", int64(r.MinCPUs))
	case r.MinCPUSpeedMHz < 0:
		return neg("minimumCpuSpeedInMHz", int64(r.MinCPUSpeedMHz))
	}
	for i, a := range r.Architectures {
		if a == ArchUnknown || a > ArchARM64 {
			return &ValidationError{Field: "requirements.applicableArchitectures[" + strconv.Itoa(i) + "]", Value: a.String(),
				Rule: "T11", Err: ErrUnknownEnum, Reason: "is not an architecture", Remedy: "use x86, x64, arm or arm64"}
		}
	}
	return nil
}

// ValidateGroup checks a group on its own (D1): its id, its kind, members of that
// kind only, and nested groups that are not the group itself. kindOf, when not
// nil, gives the kind of a nested group so that a user group cannot nest a device
// group; it returns false for an unknown group.
func ValidateGroup(g *Group, kindOf func(GroupID) (MemberKind, bool)) error {
	if g == nil {
		return missing("group", "the group to validate")
	}
	if err := CheckID("id", string(g.ID)); err != nil {
		return err
	}
	if g.Kind != UserMembers && g.Kind != DeviceMembers {
		return &ValidationError{Field: "kind", Value: g.Kind.String(), Rule: "D1", Err: ErrMixedGroup,
			Reason: "must be users or devices", Remedy: "make the group a user group or a device group"}
	}
	if g.Kind == UserMembers && len(g.Devices) > 0 {
		return &ValidationError{Field: "devices[0]", Value: string(g.Devices[0]), Rule: "D1", Err: ErrMixedGroup,
			Reason: "is a device in a user group", Remedy: "put devices in a device group; target both groups if needed"}
	}
	if g.Kind == DeviceMembers && len(g.Users) > 0 {
		return &ValidationError{Field: "users[0]", Value: string(g.Users[0]), Rule: "D1", Err: ErrMixedGroup,
			Reason: "is a user in a device group", Remedy: "put users in a user group; target both groups if needed"}
	}
	for i, u := range g.Users {
		if err := CheckID("users["+strconv.Itoa(i)+"]", string(u)); err != nil {
			return err
		}
	}
	for i, d := range g.Devices {
		if err := CheckID("devices["+strconv.Itoa(i)+"]", string(d)); err != nil {
			return err
		}
	}
	for i, n := range g.Groups {
		field := "groups[" + strconv.Itoa(i) + "]"
		if err := CheckID(field, string(n)); err != nil {
			return err
		}
		if n == g.ID {
			return &ValidationError{Field: field, Value: string(n), Rule: "D1", Err: ErrInvalidTarget,
				Reason: "is the group itself", Remedy: "a group cannot contain itself"}
		}
		if kindOf == nil {
			continue
		}
		k, ok := kindOf(n)
		if !ok {
			return &ValidationError{Field: field, Value: string(n), Rule: "D1", Err: ErrInvalidTarget,
				Reason: "is not a known group", Remedy: "create the nested group first"}
		}
		if k != g.Kind {
			return &ValidationError{Field: field, Value: string(n), Rule: "D1", Err: ErrMixedGroup,
				Reason: "is a " + k.String() + " group nested in a " + g.Kind.String() + " group",
				Remedy: "nest only groups of the same kind"}
		}
	}
	return nil
}

// ValidateAssignment checks an assignment on its own (A1, A2) and, when app is not
// nil, against its app: license type only for VPP apps and user licensing for books
// (L4), deadlines only on required assignments and within the years 0–9999 that
// Graph's dateTimeOffset carries (T14), a restart grace period of at
// most two weeks in whole minutes, as Graph carries it (T14). Rules that need the
// directory or the other assignments (A3, A4, C6, D4) are checked by package assign.
func ValidateAssignment(as *Assignment, app *App) error {
	if as == nil {
		return missing("assignment", "the assignment to validate")
	}
	if err := CheckID("id", string(as.ID)); err != nil {
		return err
	}
	if err := CheckID("appId", string(as.App)); err != nil {
		return err
	}
	if !as.Intent.Valid() {
		return &ValidationError{Field: "intent", Value: as.Intent.String(), Rule: "A1", Err: ErrUnknownEnum,
			Reason: "is not an intent", Remedy: "use available, required, uninstall or availableWithoutEnrollment"}
	}
	if err := validateTarget(as.Target); err != nil {
		return err
	}
	s := &as.Settings
	if s.LicenseType > LicenseUser {
		return &ValidationError{Field: "settings.licenseType", Value: s.LicenseType.String(), Rule: "L4", Err: ErrUnknownEnum,
			Reason: "is not a license type", Remedy: "use device or user"}
	}
	if s.RestartGracePeriod < 0 || s.RestartGracePeriod > MaxRestartGracePeriod {
		return &ValidationError{Field: "settings.restartSettings.gracePeriodInMinutes", Value: s.RestartGracePeriod.String(),
			Rule: "T14", Err: ErrInvalidSetting, Reason: "must be between 0 and two weeks", Remedy: "use at most 20160 minutes"}
	}
	if s.RestartGracePeriod%time.Minute != 0 {
		// Graph carries the period as gracePeriodInMinutes; a fraction of a
		// minute would be lost on the way.
		return &ValidationError{Field: "settings.restartSettings.gracePeriodInMinutes", Value: s.RestartGracePeriod.String(),
			Rule: "T14", Err: ErrInvalidSetting, Reason: "is not a whole number of minutes", Remedy: "round the grace period to whole minutes"}
	}
	if y := s.Deadline.UTC().Year(); !s.Deadline.IsZero() && (y < 0 || y > 9999) {
		return &ValidationError{Field: "settings.installTimeSettings.deadlineDateTime", Value: s.Deadline.String(),
			Rule: "T14", Err: ErrInvalidSetting, Reason: "is outside the years 0 to 9999 that Graph's dateTimeOffset can carry",
			Remedy: "set a deadline in the coming days or weeks"}
	}
	if !s.Deadline.IsZero() && as.Intent != Required {
		return &ValidationError{Field: "settings.installTimeSettings.deadlineDateTime", Value: s.Deadline.String(),
			Rule: "T14", Err: ErrInvalidSetting, Reason: "is set on a " + as.Intent.String() + " assignment",
			Remedy: "deadlines apply to required assignments only"}
	}
	if app == nil {
		return nil
	}
	if app.ID != as.App {
		return &ValidationError{Field: "appId", Value: string(as.App), Err: ErrInvalidTarget,
			Reason: "does not match the app " + string(app.ID), Remedy: "validate the assignment against its own app"}
	}
	if s.LicenseType != LicenseDefault && !app.Type.IsVPP() {
		return &ValidationError{Field: "settings.licenseType", Value: s.LicenseType.String(), Rule: "L4", Err: ErrInvalidSetting,
			Reason: "applies to Apple VPP apps and books only", Remedy: "leave the license type unset"}
	}
	if app.Type.IsBook() && s.LicenseType == LicenseDevice {
		return &ValidationError{Field: "settings.licenseType", Value: s.LicenseType.String(), Rule: "L4", Err: ErrInvalidSetting,
			Reason: "is device licensing on a book", Remedy: "books take user licensing only"}
	}
	return nil
}

func validateTarget(t Target) error {
	switch t.Kind {
	case TargetGroup, TargetExclusionGroup:
		return CheckID("target.groupId", string(t.Group))
	case TargetAllUsers, TargetAllDevices:
		if t.Group != "" {
			return &ValidationError{Field: "target.groupId", Value: string(t.Group), Rule: "A2", Err: ErrInvalidTarget,
				Reason: "is set on an " + t.String() + " target", Remedy: "All users and All devices take no group (D2)"}
		}
		return nil
	}
	return &ValidationError{Field: "target.@odata.type", Value: t.Kind.String(), Rule: "A2", Err: ErrInvalidTarget,
		Reason: "is not a target type",
		Remedy: "use a group, an exclusion group, All users or All devices"}
}
