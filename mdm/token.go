package mdm

// TokenState is the state of a store token (L1, L3). A token is valid or expired by
// its date; the other states are learned from the store during sync.
type TokenState uint8

const (
	// TokenValid: the token is within its lifetime and the store accepts it.
	TokenValid TokenState = iota
	// TokenExpired: the token's expiry date has passed, or the store said so (9621).
	TokenExpired
	// TokenInvalid: the store does not recognise the token (HTTP 401, 9622) or it
	// was revoked (9625).
	TokenInvalid
	// TokenAssignedToExternalMDM: another management service claimed the token
	// (L3). License assignments and user records may have been lost; the service
	// can take control back.
	TokenAssignedToExternalMDM
	// TokenDuplicate: a second token for the same location. Syncing stops, but
	// licenses can still be assigned and revoked (L3).
	TokenDuplicate
)

var tokenStateNames = [...]string{
	TokenValid:                 "valid",
	TokenExpired:               "expired",
	TokenInvalid:               "invalid",
	TokenAssignedToExternalMDM: "assignedToExternalMDM",
	TokenDuplicate:             "duplicate",
}

func (s TokenState) String() string { return enumString(tokenStateNames[:], int(s), "TokenState") }

// MarshalText encodes the state by its Graph name.
func (s TokenState) MarshalText() ([]byte, error) {
	return enumMarshal(tokenStateNames[:], int(s), "TokenState")
}

// UnmarshalText decodes a Graph name; an unknown name is an error.
func (s *TokenState) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(tokenStateNames[:], b, "TokenState")
	if err == nil {
		*s = TokenState(i)
	}
	return err
}

// CanSync reports whether a sync may run with a token in this state. An expired,
// invalid or duplicate token stops syncing (S4, L3); a token claimed by another
// service may sync again only after the service takes control back, which is an
// explicit action, so it does not sync either.
func (s TokenState) CanSync() bool { return s == TokenValid }

// CanAssignLicenses reports whether licenses may still be assigned and revoked
// through a token in this state. A duplicate token keeps assigning (L3).
func (s TokenState) CanAssignLicenses() bool { return s == TokenValid || s == TokenDuplicate }

// SyncStatus is the outcome of the last sync of a token (S3).
type SyncStatus uint8

const (
	SyncNone       SyncStatus = iota // never synced
	SyncInProgress                   // a sync is running
	SyncCompleted                    // the last sync finished
	SyncFailed                       // the last sync failed; see the recorded error
)

var syncStatusNames = [...]string{
	SyncNone:       "none",
	SyncInProgress: "inProgress",
	SyncCompleted:  "completed",
	SyncFailed:     "failed",
}

func (s SyncStatus) String() string { return enumString(syncStatusNames[:], int(s), "SyncStatus") }

// MarshalText encodes the status by its Graph name.
func (s SyncStatus) MarshalText() ([]byte, error) {
	return enumMarshal(syncStatusNames[:], int(s), "SyncStatus")
}

// UnmarshalText decodes a Graph name; an unknown name is an error.
func (s *SyncStatus) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(syncStatusNames[:], b, "SyncStatus")
	if err == nil {
		*s = SyncStatus(i)
	}
	return err
}
