package mdm

// InstallState is the state of one (device, app) pair (T1). The service keeps the
// finer states; GraphState folds them into the seven values Graph reports. No state
// exists before the device's first check-in after the assignment.
type InstallState uint8

const (
	StateUnknown            InstallState = iota // no information (Graph: unknown=99)
	StateNotApplicable                          // not targeted or not applicable (Graph: notApplicable=-1)
	StateAvailable                              // offered in the portal, never installed
	StateInstallRequested                       // command queued, not yet acknowledged
	StateInstalling                             // acknowledged, in progress
	StateInstalled                              // detected on the device (Graph: installed=1)
	StateFailed                                 // the last install failed (Graph: failed=2)
	StateRequirementsNotMet                     // requirements not met; no command sent (T11)
	StateNotInstalled                           // removed by the user or another deployment (Graph: notInstalled=3)
	StateUninstallFailed                        // the last uninstall failed (Graph: uninstallFailed=4)
	StatePendingReboot                          // installed, waiting for a reboot
	StatePendingInstall                         // waiting to install: a license, a dependency, a time window (Graph: pendingInstall=5)
	numInstallStates
)

var installStateNames = [numInstallStates]string{
	StateUnknown:            "unknown",
	StateNotApplicable:      "notApplicable",
	StateAvailable:          "available",
	StateInstallRequested:   "installRequested",
	StateInstalling:         "installing",
	StateInstalled:          "installed",
	StateFailed:             "failed",
	StateRequirementsNotMet: "requirementsNotMet",
	StateNotInstalled:       "notInstalled",
	StateUninstallFailed:    "uninstallFailed",
	StatePendingReboot:      "pendingReboot",
	StatePendingInstall:     "pendingInstall",
}

// InstallStates lists every state in a stable order.
func InstallStates() []InstallState {
	out := make([]InstallState, numInstallStates)
	for i := range out {
		out[i] = InstallState(i)
	}
	return out
}

func (s InstallState) String() string {
	return enumString(installStateNames[:], int(s), "InstallState")
}

// MarshalText encodes the state by name.
func (s InstallState) MarshalText() ([]byte, error) {
	return enumMarshal(installStateNames[:], int(s), "InstallState")
}

// UnmarshalText decodes a state name; an unknown name is an error.
func (s *InstallState) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(installStateNames[:], b, "InstallState")
	if err == nil {
		*s = InstallState(i)
	}
	return err
}

// GraphState folds the state into Graph's resultantAppState, which has only
// installed, failed, notInstalled, uninstallFailed, pendingInstall, unknown and
// notApplicable.
func (s InstallState) GraphState() InstallState {
	switch s {
	case StateInstalled, StateFailed, StateNotInstalled, StateUninstallFailed,
		StatePendingInstall, StateUnknown, StateNotApplicable:
		return s
	case StateAvailable:
		return StateNotInstalled
	case StateInstallRequested, StateInstalling, StatePendingReboot:
		return StatePendingInstall
	case StateRequirementsNotMet:
		return StateNotApplicable
	}
	return StateUnknown
}

// GraphNumber is Graph's number for the folded state: installed=1, failed=2,
// notInstalled=3, uninstallFailed=4, pendingInstall=5, unknown=99,
// notApplicable=-1.
func (s InstallState) GraphNumber() int {
	switch s.GraphState() {
	case StateInstalled:
		return 1
	case StateFailed:
		return 2
	case StateNotInstalled:
		return 3
	case StateUninstallFailed:
		return 4
	case StatePendingInstall:
		return 5
	case StateNotApplicable:
		return -1
	}
	return 99
}

// InstallDetail explains a state (T1). The names follow Graph's
// resultantAppStateDetail where Graph has one.
type InstallDetail uint8

const (
	DetailNone                               InstallDetail = iota // noAdditionalDetails
	DetailLicenseUnavailable                                      // no license left in the pool (L5)
	DetailDependencyFailed                                        // a dependency failed to install (T10)
	DetailDependencyMissing                                       // a detect-only dependency is not present (C9)
	DetailDependencyRequirementsNotMet                            // a dependency's requirements are not met
	DetailInstallingDependencies                                  // dependencies are installing first (T10)
	DetailSupersededAppUninstallFailed                            // replace: the old app could not be removed (T9)
	DetailSupersededAppUninstallPending                           // replace: waiting for the old app to go (T9)
	DetailSupersedenceConflict                                    // A depends on B and C supersedes B (T9)
	DetailRemovedBySupersedence                                   // replaced by a superseding app (T9)
	DetailUserRejectedInstall                                     // the user declined the install
	DetailUserRemoved                                             // the user removed the app
	DetailPendingReboot                                           // the install waits for a reboot
	DetailUninstallPendingReboot                                  // the uninstall waits for a reboot
	DetailSeeInstallErrorCode                                     // see the error code of the install
	DetailSeeUninstallErrorCode                                   // see the error code of the uninstall
	DetailPlatformNotApplicable                                   // wrong platform
	DetailMinimumOSVersionNotMet                                  // T11
	DetailArchitectureNotValid                                    // T11
	DetailMinimumDiskSpaceNotMet                                  // T11
	DetailMinimumPhysicalMemoryNotMet                             // T11
	DetailMinimumLogicalProcessorCountNotMet                      // T11
	DetailMinimumCPUSpeedNotMet                                   // T11
	DetailJoinTypeNotMet                                          // L16: not AD- or workplace-joined
	DetailBooksAppMissing                                         // L8: the Books app was removed
	DetailInstalledOutsideManagement                              // present, but the service did not install it (A10)
	DetailUninstallBlockedByRequired                              // uninstall not attempted: a required assignment reaches the device (T8)
	DetailRetrying                                                // a "retry" result is being retried (T5)
	DetailTokenNotValid                                           // the store token is expired, revoked or claimed elsewhere (L3, S4)
	DetailUpdateAvailable                                         // a newer version waits to be installed (T4)
	DetailSupersedingAppsDetected                                 // not installed: an app superseding it is on the device (T9)
	DetailUserNotLoggedIntoAppStore                               // user licensing needs the user's Apple account, not registered (L4)
	DetailNoPrimaryUser                                           // a user license needs the device's primary user; it has none (L4, L13)
	numInstallDetails
)

var installDetailNames = [numInstallDetails]string{
	DetailNone:                               "noAdditionalDetails",
	DetailLicenseUnavailable:                 "licenseUnavailable",
	DetailDependencyFailed:                   "dependencyFailedToInstall",
	DetailDependencyMissing:                  "dependencyNotDetected",
	DetailDependencyRequirementsNotMet:       "dependencyWithRequirementsNotMet",
	DetailInstallingDependencies:             "installingDependencies",
	DetailSupersededAppUninstallFailed:       "supersededAppUninstallFailed",
	DetailSupersededAppUninstallPending:      "supersededAppUninstallPending",
	DetailSupersedenceConflict:               "supersedenceConflict",
	DetailRemovedBySupersedence:              "removedBySupersedence",
	DetailUserRejectedInstall:                "userRejectedInstall",
	DetailUserRemoved:                        "userRemoved",
	DetailPendingReboot:                      "pendingReboot",
	DetailUninstallPendingReboot:             "uninstallPendingReboot",
	DetailSeeInstallErrorCode:                "seeInstallErrorCode",
	DetailSeeUninstallErrorCode:              "seeUninstallErrorCode",
	DetailPlatformNotApplicable:              "platformNotApplicable",
	DetailMinimumOSVersionNotMet:             "minimumOsVersionNotMet",
	DetailArchitectureNotValid:               "processorArchitectureNotValid",
	DetailMinimumDiskSpaceNotMet:             "minimumDiskSpaceNotMet",
	DetailMinimumPhysicalMemoryNotMet:        "minimumPhysicalMemoryNotMet",
	DetailMinimumLogicalProcessorCountNotMet: "minimumLogicalProcessorCountNotMet",
	DetailMinimumCPUSpeedNotMet:              "minimumCpuSpeedNotMet",
	DetailJoinTypeNotMet:                     "joinTypeNotMet",
	DetailBooksAppMissing:                    "booksAppMissing",
	DetailInstalledOutsideManagement:         "installedOutsideManagement",
	DetailUninstallBlockedByRequired:         "uninstallBlockedByRequired",
	DetailRetrying:                           "retrying",
	DetailTokenNotValid:                      "tokenNotValid",
	DetailUpdateAvailable:                    "updateAvailable",
	DetailSupersedingAppsDetected:            "supersedingAppsDetected",
	DetailUserNotLoggedIntoAppStore:          "userIsNotLoggedIntoAppStore",
	DetailNoPrimaryUser:                      "noPrimaryUser",
}

// InstallDetails lists every detail in a stable order.
func InstallDetails() []InstallDetail {
	out := make([]InstallDetail, numInstallDetails)
	for i := range out {
		out[i] = InstallDetail(i)
	}
	return out
}

func (d InstallDetail) String() string {
	return enumString(installDetailNames[:], int(d), "InstallDetail")
}

// MarshalText encodes the detail by name.
func (d InstallDetail) MarshalText() ([]byte, error) {
	return enumMarshal(installDetailNames[:], int(d), "InstallDetail")
}

// UnmarshalText decodes a detail name; an unknown name is an error.
func (d *InstallDetail) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(installDetailNames[:], b, "InstallDetail")
	if err == nil {
		*d = InstallDetail(i)
	}
	return err
}

// IsRequirementNotMet reports whether the detail is one of the T11 requirement
// failures, which go with StateRequirementsNotMet.
func (d InstallDetail) IsRequirementNotMet() bool {
	switch d {
	case DetailPlatformNotApplicable, DetailMinimumOSVersionNotMet, DetailArchitectureNotValid,
		DetailMinimumDiskSpaceNotMet, DetailMinimumPhysicalMemoryNotMet,
		DetailMinimumLogicalProcessorCountNotMet, DetailMinimumCPUSpeedNotMet,
		DetailJoinTypeNotMet, DetailBooksAppMissing:
		return true
	}
	return false
}
