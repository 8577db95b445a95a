// Package assign resolves app assignments: for a device, which apps it gets,
// with which effective intent, and why (SPEC A1–A12, D1–D4, C6).
//
// # The model
//
// A Resolver holds the directory — users, devices and groups, with nested groups
// (D1) — the facts of each app that resolution needs (its type and publishing
// state), and the assignments. Everything enters through string ids (mdm's
// UserID, DeviceID, GroupID, AppID, AssignmentID) and is interned into dense
// int32 indexes; DeviceIndex and AppIndex are exposed so that a caller on a hot
// path (the tenant's check-in) can keep its own per-device state in slices and
// skip the string lookups.
//
//	r := assign.New()
//	r.PutUser(mdm.User{ID: "u-ada"})
//	r.PutDevice(mdm.Device{ID: "d-1", PrimaryUser: "u-ada"})
//	r.PutGroup(mdm.Group{ID: "g-sales", Kind: mdm.UserMembers, Users: []mdm.UserID{"u-ada"}})
//	r.PutApp(&mdm.App{ID: "app-vpn", Type: mdm.AppTypeWin32})
//	r.Assign(mdm.Assignment{ID: "as-1", App: "app-vpn", Intent: mdm.Required, Target: mdm.GroupTarget("g-sales")})
//	res, _ := r.ResolveDevice("d-1") // app-vpn: required
//	x, _ := r.Explain("d-1", "app-vpn")
//	fmt.Print(x)                     // why, with the group path and the A6 row
//
// # Validation
//
// Assign refuses, with a *mdm.ValidationError naming the field, the value, the
// rule and the remedy, and changes nothing: what mdm.ValidateAssignment refuses
// (A1, A2, L4, T14); an unpublished app (C6, ErrNotPublished); a second intent
// for a group already targeted for the app (A3, mdm.ErrConflictingIntent; All
// users and All devices count as groups, and an exclusion targets its group too);
// "available" on a device-kind target except for Win32 apps and Android
// Enterprise apps, and never for Apple VPP apps (A4, ErrTargetNotAllowed); any
// device-kind target of a VPP book (A4); availableWithoutEnrollment on a
// device-kind target (D4: device targets never reach unenrolled devices, and that
// intent exists for them). An Android Enterprise app made available to a device
// group is accepted for any device group, and applies, at resolution, only to
// devices whose AndroidMode is fully managed or corporate-owned work profile
// (A4); on other devices Explain lists it as not applied.
//
// # Resolution
//
// For each app, the assignments that reach a device form a set of (kind, intent)
// pairs: U when the target is a user group or All users and reaches the device
// through its primary user (D3), D when it is a device group or All devices;
// membership counts through nested groups (D1). Then, in this order:
//
//   - D4: on a device registered for app protection only (not enrolled), only
//     user-targeted availableWithoutEnrollment applies. A1 calls "available"
//     "available for enrolled devices", so user-targeted available, required and
//     uninstall do not apply there, and device targets do not reach it at all.
//   - A4: a device-kind "available" of an Android Enterprise app applies only to
//     fully managed and COPE devices.
//   - A5: an exclusion removes every include of its own kind for that app, whatever
//     the intents (SPEC A5 does not tie exclusions to an intent): a user
//     exclusion removes the user-kind pairs, a device exclusion the device-kind
//     pairs; neither touches the other kind.
//   - A8: a required iOS store app (mdm.AppTypeIOSStore) is available as well: U
//     required adds U available, D required adds D available.
//   - A6: the effective intent is looked up in a table precomputed over all 256
//     sets of pairs (see Decide and the comment on decide for the precedence and
//     the sets the SPEC table leaves open). Because the input is a set, the result
//     does not depend on the order of the assignments, and a duplicate changes
//     nothing.
//
// Settings are aggregated over the assignments that count: uninstall on device
// removal only if all say yes (A12), the earliest deadline (T14), the VPP license
// type and prevent-auto-update as documented on Effective (L4, L9).
//
// Publishing state is read when an assignment is made (C6), not at resolution,
// and so is the app's platform: an app assigned to a device of another platform
// resolves normally, and the tenant's requirement check marks it not applicable
// (T1, T11).
//
// # Caching and incremental changes
//
// ResolveDevice caches each device's resolution, stamped with the device's
// version. Every mutation computes the devices whose resolution it may alter —
// the members of the groups it touches, through nesting, restricted to those the
// assignment can apply to — bumps their versions and returns them as Affected,
// which is also the list of devices to push-notify (T2). Nothing else is
// recomputed: a stale device is resolved again when it is next asked for. A warm
// ResolveDevice allocates nothing; a Resolution is an immutable snapshot that
// builds each Effective on access from a 12-byte cached entry.
//
// ResolveAll resolves every device from scratch on several goroutines (the only
// goroutines the package starts; all end before it returns) with output that does
// not depend on their number.
//
// # Concurrency
//
// A Resolver is safe for concurrent use: mutations take an exclusive lock;
// resolution, Explain and the getters share a read lock and publish cached
// resolutions through atomic per-device slots, so any number of them may run at
// once, for the same device too. The package reads no clock and keeps no
// background goroutine.
//
// # Explanations
//
// Explain answers "why is this app required on this device?" (A11): every
// assignment of the app that reached the device with its group path (nesting
// included, e.g. "group Sales ⊃ group Sales-EU (member: user ada)"), every
// include an exclusion removed and by which exclusion, includes that reached the
// device but do not apply (D4, A4), exclusions that removed nothing (A5), and the
// A6 row that decided the result. Explanation.String is the text a person reads.
package assign
