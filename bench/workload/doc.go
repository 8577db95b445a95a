// Package workload generates the fixed tenants the benchmarks run on,
// deterministically from a seed: the same seed and Config give the same tenant,
// value for value, on any machine.
//
// A Tenant is plain mdm values (users, devices, groups, apps, assignments) in an
// order they can be loaded in: users, then devices, then groups (a nested group
// always comes before the groups that nest it), then apps, then assignments.
// Every value passes mdm's validation (ValidateApp with FromSync for the
// store-synced types, ValidateGroup, ValidateAssignment) and the rules package
// assign checks when an assignment is made (A3, A4, C6, D4), so a loader can stop
// at the first error.
//
// # tenant-L
//
// TenantL(seed) is the workload of issue 3 and of the check-in benchmarks:
// 150,000 devices, 100,000 users, 2,000 groups nested up to 3 levels, 1,000 apps
// and 5,000 assignments of which 10% are exclusions. What it looks like, and why:
//
//   - Users each own one device, and 42,500 users a second one (laptop and
//     phone): 142,500 devices have a primary user; 7,500 (5%) are userless
//     kiosks and shared devices (D3). Platforms: Windows 45%, iOS 25%, Android
//     Enterprise 15% (work profile, COPE, fully managed; dedicated for the
//     userless ones), macOS 10%, Android 5%. 6% of the users' iOS and Android
//     devices are registered for app protection only (D4).
//   - User groups (70% of the groups) follow an org chart: divisions ⊃
//     departments ⊃ teams, each user a direct member of one team, so of three
//     groups through nesting (D1). The other user groups are project, role and
//     location groups with a long-tailed size distribution (a few with tens of
//     thousands of users, most with a few hundred); a user is in about three of
//     them, and a tenth of them are nested in another flat group.
//   - Device groups (30%) follow the fleet: platform ⊃ region ⊃ site, each
//     device a direct member of one site of its platform; and flat groups of one
//     platform each (pilot rings, hardware models, kiosks), about one per device.
//   - Apps by platform as in a real catalog: Windows 40% (mostly Win32), iOS 30%
//     (store, VPP, line-of-business, a few books), Android Enterprise 15%, macOS
//     10%, Android 3%, web links 2%. All are published.
//   - Assignments: a handful to All users and All devices (the apps everybody
//     gets), then user groups (55%) with every intent, and device groups (45%)
//     with apps of the group's platform, mostly required. No group is targeted
//     twice for one app. Exclusions pick an include and exclude a group of the
//     same kind nested in its target or elsewhere (70%) or of the other kind
//     (30%, which A5 makes ineffective, as admins do by mistake).
//
// A device of tenant-L is reached by about 40 apps.
package workload
