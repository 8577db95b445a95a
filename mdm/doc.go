// Package mdm is the vocabulary of mdmkit.
//
// Every other package speaks in these types; mdm itself holds no engine and no
// state machine. It defines:
//
//   - ids (AppID, UserID, DeviceID, GroupID, TokenID, AssignmentID): strings at the
//     public API, interned into dense indexes inside the engines;
//   - platforms and app types: every specific app type of the product with its
//     general type, platforms, accepted package extensions and size limit
//     (SPEC C1–C3), and App with its package, store origin, dependencies,
//     supersedence and requirement rules;
//   - the directory: User, Device (with the facts rules read, D5), Group (one kind
//     of member, nested groups, D1) and the All users / All devices targets (D2);
//   - assignments: Intent (A1), Target (A2) and AssignmentSettings (license type,
//     uninstall on device removal with the A12 defaults, prevent auto-update,
//     deadline);
//   - install states and details (T1);
//   - the messages between service and device: Command (install, uninstall, update)
//     and Report (inventory, command results, portal requests);
//   - Policy: every duration and threshold of SPEC P, with DefaultPolicy.
//
// # Validation
//
// ValidateApp, ValidateGroup, ValidateAssignment and ValidateGraph check the
// rules that need no tenant state (C2–C4, C9, C10, D1, A2). Every failure is a
// *ValidationError naming the field, the value, the SPEC rule, what is wrong and what
// to do; it wraps a sentinel (ErrExtension, ErrPackageTooLarge, ...) for errors.Is.
// Rules that need tenant state (A3, A4, C5, C6, L14) live in the packages that hold
// that state.
//
// # JSON
//
// Enums encode by their Microsoft Graph names (intent "required", install state
// "pendingInstall"), targets and apps carry "@odata.type" as Graph does, so data can
// be exchanged with tools that speak Graph. An unknown enum name is an error, never a
// silent zero.
package mdm
