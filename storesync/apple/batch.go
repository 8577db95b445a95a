package apple

import (
	"fmt"

	"github.com/mdmkit/mdmkit/mdm"
)

// SplitManageAssets splits a manage request of any size into requests within lim: at
// most MaxAssets assets, MaxSerialNumbers serial numbers and MaxClientUserIDs users
// each. Every (asset, subject) pair of the input is in exactly one output request.
// Duplicates are dropped (Apple refuses them, and associating twice is associating
// once). A request with no asset, no subject or an empty id is refused with a
// *mdm.ValidationError and nothing is sent.
func SplitManageAssets(req ManageAssetsRequest, lim BatchLimits) ([]ManageAssetsRequest, error) {
	lim = lim.withDefaults()
	if len(req.Assets) == 0 {
		return nil, &mdm.ValidationError{Field: "assets", Rule: "S5", Err: mdm.ErrMissingField,
			Reason: "is empty", Remedy: "name at least one asset (adamId)"}
	}
	if len(req.SerialNumbers) == 0 && len(req.ClientUserIDs) == 0 {
		return nil, &mdm.ValidationError{Field: "serialNumbers", Rule: "S5", Err: mdm.ErrMissingField,
			Reason: "and clientUserIds are both empty", Remedy: "name at least one device or user"}
	}
	assets := make([]Asset, 0, len(req.Assets))
	seenAsset := make(map[Asset]bool, len(req.Assets))
	for i, a := range req.Assets {
		if mdm.CheckID("adamId", a.AdamID) != nil {
			return nil, mdm.CheckID(fmt.Sprintf("assets[%d].adamId", i), a.AdamID)
		}
		if !seenAsset[a] {
			seenAsset[a] = true
			assets = append(assets, a)
		}
	}
	serials, err := uniqueIDs("serialNumbers", req.SerialNumbers)
	if err != nil {
		return nil, err
	}
	users, err := uniqueIDs("clientUserIds", req.ClientUserIDs)
	if err != nil {
		return nil, err
	}
	assetChunks := chunk(assets, lim.MaxAssets)
	serialChunks := chunk(serials, lim.MaxSerialNumbers)
	userChunks := chunk(users, lim.MaxClientUserIDs)
	rounds := max(len(serialChunks), len(userChunks))
	out := make([]ManageAssetsRequest, 0, len(assetChunks)*rounds)
	for _, ac := range assetChunks {
		for r := range rounds {
			b := ManageAssetsRequest{Assets: ac}
			if r < len(serialChunks) {
				b.SerialNumbers = serialChunks[r]
			}
			if r < len(userChunks) {
				b.ClientUserIDs = userChunks[r]
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// SplitManageUsers splits a users/create or users/retire request into requests of at
// most lim.MaxUsers users, dropping repeated clientUserIds (the first one wins).
func SplitManageUsers(req ManageUsersRequest, lim BatchLimits) ([]ManageUsersRequest, error) {
	lim = lim.withDefaults()
	if len(req.Users) == 0 {
		return nil, &mdm.ValidationError{Field: "users", Rule: "S5", Err: mdm.ErrMissingField,
			Reason: "is empty", Remedy: "name at least one user"}
	}
	users := make([]RequestUser, 0, len(req.Users))
	seen := make(map[string]bool, len(req.Users))
	for i, u := range req.Users {
		if mdm.CheckID("clientUserId", u.ClientUserID) != nil {
			return nil, mdm.CheckID(fmt.Sprintf("users[%d].clientUserId", i), u.ClientUserID)
		}
		if !seen[u.ClientUserID] {
			seen[u.ClientUserID] = true
			users = append(users, u)
		}
	}
	chunks := chunk(users, lim.MaxUsers)
	out := make([]ManageUsersRequest, len(chunks))
	for i, c := range chunks {
		out[i] = ManageUsersRequest{Users: c}
	}
	return out, nil
}

func (l BatchLimits) withDefaults() BatchLimits {
	d := DefaultBatchLimits
	if l.MaxAssets < 1 {
		l.MaxAssets = d.MaxAssets
	}
	if l.MaxClientUserIDs < 1 {
		l.MaxClientUserIDs = d.MaxClientUserIDs
	}
	if l.MaxSerialNumbers < 1 {
		l.MaxSerialNumbers = d.MaxSerialNumbers
	}
	if l.MaxUsers < 1 {
		l.MaxUsers = d.MaxUsers
	}
	return l
}

func uniqueIDs(field string, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		if mdm.CheckID(field, id) != nil { // the indexed name only on error: no formatting per id
			return nil, mdm.CheckID(fmt.Sprintf("%s[%d]", field, i), id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// chunk cuts s into pieces of at most n, sharing s's backing array (full slice
// expressions keep an append on one piece from writing into the next).
func chunk[T any](s []T, n int) [][]T {
	if len(s) == 0 {
		return nil
	}
	out := make([][]T, 0, (len(s)-1)/n+1) // not (len(s)+n-1)/n: n comes from the server and may be huge
	for i := 0; i < len(s); i += n {
		j := min(i+n, len(s))
		out = append(out, s[i:j:j])
	}
	return out
}
