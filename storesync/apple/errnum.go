package apple

import (
	"fmt"
	"net/http"
	"slices"
)

// ErrorNumber is an Apps and Books error number (`errorNumber` on the wire). The named
// constants are also error values: an *APIError matches one with errors.Is, so a
// caller writes errors.Is(err, apple.ErrTokenExpired).
//
// Apple's v2 API answers some conditions with newer, more specific numbers (9700 "max
// assets exceeded", 9706 "asset not revocable", ...) where SPEC L11 names the older,
// general one (9602 invalid argument, 9607 license irrevocable). Each specific number
// has the general one as its Canonical number, and errors.Is matches both, so code
// written against L11 works whichever of the two Apple sends.
type ErrorNumber int32

// The numbers SPEC L11 names.
const (
	ErrMissingArgument              ErrorNumber = 9600
	ErrLoginRequired                ErrorNumber = 9601
	ErrInvalidArgument              ErrorNumber = 9602
	ErrInternal                     ErrorNumber = 9603
	ErrNotFound                     ErrorNumber = 9604
	ErrLicenseIrrevocable           ErrorNumber = 9607
	ErrRegisteredUserNotFound       ErrorNumber = 9609
	ErrLicenseNotFound              ErrorNumber = 9610
	ErrLicenseAlreadyAssigned       ErrorNumber = 9616
	ErrLicenseNotAssociated         ErrorNumber = 9619
	ErrTokenExpired                 ErrorNumber = 9621
	ErrInvalidToken                 ErrorNumber = 9622
	ErrLicenseRefunded              ErrorNumber = 9624
	ErrTokenRevoked                 ErrorNumber = 9625
	ErrLicenseAssignedToAnotherUser ErrorNumber = 9626
	ErrDeviceAssignmentNotAllowed   ErrorNumber = 9628
	ErrTooManyAlreadyAssigned       ErrorNumber = 9630
	ErrRateLimited                  ErrorNumber = 9646
)

// Numbers of the v2 API that refine an L11 number or have no L11 equivalent.
const (
	ErrServiceRemoved             ErrorNumber = 9634
	ErrInvalidPageIndex           ErrorNumber = 9650 // canonical 9602
	ErrMaxAssetsExceeded          ErrorNumber = 9700 // canonical 9602
	ErrMaxClientUserIDsExceeded   ErrorNumber = 9701 // canonical 9602
	ErrMaxSerialNumbersExceeded   ErrorNumber = 9702 // canonical 9602
	ErrDuplicateAssets            ErrorNumber = 9703 // canonical 9602
	ErrDuplicateClientUserIDs     ErrorNumber = 9704 // canonical 9602
	ErrDuplicateSerialNumbers     ErrorNumber = 9705 // canonical 9602
	ErrAssetNotRevocable          ErrorNumber = 9706 // canonical 9607
	ErrAssetNotDeviceAssignable   ErrorNumber = 9707 // canonical 9628
	ErrEventNotFound              ErrorNumber = 9708 // canonical 9604
	ErrNotEnoughLicenses          ErrorNumber = 9709
	ErrMaxUsersExceeded           ErrorNumber = 9714 // canonical 9602
	ErrDuplicateUsers             ErrorNumber = 9715 // canonical 9602
	ErrUserAlreadyExists          ErrorNumber = 9716
	ErrInvalidEmail               ErrorNumber = 9717 // canonical 9602
	ErrAssetRequired              ErrorNumber = 9718 // canonical 9600
	ErrSubjectRequired            ErrorNumber = 9719 // canonical 9600
	ErrUsersRequired              ErrorNumber = 9720 // canonical 9600
	ErrInvalidVersionID           ErrorNumber = 9721 // canonical 9602
	ErrInvalidAuthorizationHeader ErrorNumber = 9722 // canonical 9601
	ErrMdmInfoIncomplete          ErrorNumber = 9723 // canonical 9600
	ErrUnsupportedMethod          ErrorNumber = 9726
	ErrUnsupportedContentType     ErrorNumber = 9727
)

type numberInfo struct {
	name      string      // short name used in error text
	message   string      // Apple's errorMessage
	status    int         // HTTP status Apple answers with when the error is synchronous
	canonical ErrorNumber // the L11 number this one refines, or itself
	remedy    string      // what the caller should do
}

var numbers = map[ErrorNumber]numberInfo{
	ErrMissingArgument: {"missing argument", "Missing required argument.", http.StatusBadRequest, 0, "add the missing field to the request"},
	ErrLoginRequired:   {"login required", "Login required.", http.StatusUnauthorized, 0, "send the sToken as 'Authorization: Bearer <sToken>'"},
	ErrInvalidArgument: {"invalid argument", "Invalid argument.", http.StatusBadRequest, 0, "fix the request; keep batches within the service/config limits (nothing was done)"},
	ErrInternal:        {"internal error", "Internal error.", http.StatusInternalServerError, 0, "Apple failed internally; retry later"},
	ErrNotFound:        {"not found", "Result not found.", http.StatusBadRequest, 0, "check the identifier; the item may have been removed from the location"},
	ErrLicenseIrrevocable: {"license irrevocable", "License is irrevocable.", http.StatusBadRequest, 0,
		"books and irrevocable licenses cannot be reclaimed (L8); leave the assignment in place"},
	ErrRegisteredUserNotFound: {"registered user not found", "Registered user not found.", http.StatusBadRequest, 0,
		"register the user with users/create before associating user licenses"},
	ErrLicenseNotFound:        {"license not found", "License not found.", http.StatusBadRequest, 0, "sync assignments and retry with a current license"},
	ErrLicenseAlreadyAssigned: {"license already assigned", "License already assigned.", http.StatusBadRequest, 0, "nothing to do: the subject already holds the license"},
	ErrLicenseNotAssociated:   {"license not associated", "License not associated.", http.StatusBadRequest, 0, "nothing to do: the subject holds no license for this asset"},
	ErrTokenExpired: {"token expired", "The token has expired. You need to generate a new token online using your organization's account at either school.apple.com or business.apple.com.", http.StatusUnauthorized, 0,
		"download a new sToken from Apple School Manager or Apple Business Manager and upload it"},
	ErrInvalidToken: {"invalid token", "Invalid authentication token.", http.StatusUnauthorized, 0,
		"the sToken is not recognised; upload the current token for this location"},
	ErrLicenseRefunded: {"license refunded", "License was refunded and is no longer valid.", http.StatusBadRequest, 0, "sync assets; the license count has dropped"},
	ErrTokenRevoked: {"token revoked", "The server has revoked the sToken.", http.StatusUnauthorized, 0,
		"the sToken was revoked; download a new one from Apple School Manager or Apple Business Manager"},
	ErrLicenseAssignedToAnotherUser: {"license assigned to another user", "License already assigned to other user.", http.StatusBadRequest, 0, "retry the assignment with another license"},
	ErrDeviceAssignmentNotAllowed: {"device assignment not allowed", "License not eligible for device assignment.", http.StatusBadRequest, 0,
		"use user licensing for this item (books are never device-assignable)"},
	ErrTooManyAlreadyAssigned: {"too many recent already-assigned calls", "Too many recent identical calls were made to assign a license that failed due to license being already assigned to the user or device.", http.StatusBadRequest, 0,
		"stop re-sending assignments the subject already holds; sync assignments first"},
	ErrRateLimited: {"rate limited", "There are too many recent requests. Try again momentarily.", http.StatusTooManyRequests, 0,
		"wait for Retry-After and send fewer requests"},

	ErrServiceRemoved:             {"service removed", "Service removed.", http.StatusGone, 0, "this endpoint is gone; upgrade the client"},
	ErrInvalidPageIndex:           {"invalid page index", "The provided page index must be greater than 0, and less than the total number of pages.", http.StatusBadRequest, ErrInvalidArgument, "restart paging from page 0"},
	ErrMaxAssetsExceeded:          {"max assets exceeded", "Max assets limit on request has been passed, please stay within given limit.", http.StatusBadRequest, ErrInvalidArgument, "split the request within service/config maxAssets"},
	ErrMaxClientUserIDsExceeded:   {"max clientUserIds exceeded", "Max clientUserIds limit on request has been passed, please stay within given limit.", http.StatusBadRequest, ErrInvalidArgument, "split the request within service/config maxClientUserIds"},
	ErrMaxSerialNumbersExceeded:   {"max serialNumbers exceeded", "Max serialNumbers limit on request has been passed, please stay within given limit.", http.StatusBadRequest, ErrInvalidArgument, "split the request within service/config maxSerialNumbers"},
	ErrDuplicateAssets:            {"duplicate assets", "Duplicate assets found in request, please send unique assets.", http.StatusBadRequest, ErrInvalidArgument, "send each asset once"},
	ErrDuplicateClientUserIDs:     {"duplicate clientUserIds", "Duplicate clientUserIds found in request, please send unique clients.", http.StatusBadRequest, ErrInvalidArgument, "send each clientUserId once"},
	ErrDuplicateSerialNumbers:     {"duplicate serialNumbers", "Duplicate serialNumbers found in request, please send unique serials.", http.StatusBadRequest, ErrInvalidArgument, "send each serial number once"},
	ErrAssetNotRevocable:          {"asset not revocable", "Asset in request is not revocable, please send revocable assets.", http.StatusBadRequest, ErrLicenseIrrevocable, "leave irrevocable assignments in place (L8)"},
	ErrAssetNotDeviceAssignable:   {"asset not device-assignable", "Asset in request is not device assignable, please send device assignable assets.", http.StatusBadRequest, ErrDeviceAssignmentNotAllowed, "use user licensing for this item"},
	ErrEventNotFound:              {"event not found", "EventId could not be found.", http.StatusBadRequest, ErrNotFound, "check the eventId returned by the request"},
	ErrNotEnoughLicenses:          {"not enough licenses", "There are not enough licenses for this app or book available to assign to the selected group.", http.StatusBadRequest, 0, "buy more licenses or reclaim some"},
	ErrMaxUsersExceeded:           {"max users exceeded", "The number of users exceeds the maximum. Change the request to stay within the specified limit.", http.StatusBadRequest, ErrInvalidArgument, "split the request within service/config maxUsers"},
	ErrDuplicateUsers:             {"duplicate users", "This request contains duplicate users. Change the request to send unique users.", http.StatusBadRequest, ErrInvalidArgument, "send each user once"},
	ErrUserAlreadyExists:          {"user already exists", "A registered user already exists with the specified clientUserId.", http.StatusBadRequest, 0, "nothing to do: the user is registered"},
	ErrInvalidEmail:               {"invalid email", "This request contains an invalid email address. Change the request to send valid email addresses.", http.StatusBadRequest, ErrInvalidArgument, "fix the email address"},
	ErrAssetRequired:              {"asset required", "This request doesn't contain an asset, which is a required argument. Change the request to provide an asset.", http.StatusBadRequest, ErrMissingArgument, "name at least one asset"},
	ErrSubjectRequired:            {"clientUserIds or serialNumbers required", "Either clientUserIds or serialNumbers are required arguments. Change the request to provide assignable users and devices.", http.StatusBadRequest, ErrMissingArgument, "name at least one user or device"},
	ErrUsersRequired:              {"users required", "Users are a required argument. Change the request to provide a user.", http.StatusBadRequest, ErrMissingArgument, "name at least one user"},
	ErrInvalidVersionID:           {"invalid version id", "This request contains an invalid version ID. Change the request to send the version ID from the read APIs.", http.StatusBadRequest, ErrInvalidArgument, "read without sinceVersionId to get a current versionId"},
	ErrInvalidAuthorizationHeader: {"invalid authorization header", "This request contains an invalid authorization header. Change the request to send an authorization header that matches the format 'Bearer {sToken}'.", http.StatusUnauthorized, ErrLoginRequired, "send 'Authorization: Bearer <sToken>'"},
	ErrMdmInfoIncomplete:          {"mdmInfo incomplete", "You must provide an MDM name, ID, and metadata when setting the MDM information.", http.StatusBadRequest, ErrMissingArgument, "set mdmInfo.id and mdmInfo.name"},
	ErrUnsupportedMethod:          {"unsupported method", "This request contains an unsupported HTTP method for the requested endpoint.", http.StatusMethodNotAllowed, 0, "use the method the endpoint documents"},
	ErrUnsupportedContentType:     {"unsupported content type", "This request contains an unsupported Content-Type for the requested endpoint.", http.StatusUnsupportedMediaType, 0, "send Content-Type: application/json"},
}

// KnownErrorNumbers lists every number this package knows by name, in ascending order.
func KnownErrorNumbers() []ErrorNumber {
	out := make([]ErrorNumber, 0, len(numbers))
	for n := range numbers {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Known reports whether n is a number this package knows by name.
func (n ErrorNumber) Known() bool { _, ok := numbers[n]; return ok }

// Canonical returns the L11 number that n refines (9602 for 9700), or n itself.
func (n ErrorNumber) Canonical() ErrorNumber {
	if info, ok := numbers[n]; ok && info.canonical != 0 {
		return info.canonical
	}
	return n
}

// Name is a short lower-case name ("token expired"), or "error N" for an unknown number.
func (n ErrorNumber) Name() string {
	if info, ok := numbers[n]; ok {
		return info.name
	}
	return fmt.Sprintf("error %d", int32(n))
}

// Message is Apple's errorMessage for n, or "" for an unknown number.
func (n ErrorNumber) Message() string { return numbers[n].message }

// HTTPStatus is the status Apple answers with when n is a synchronous error; 400 for
// an unknown number.
func (n ErrorNumber) HTTPStatus() int {
	if info, ok := numbers[n]; ok {
		return info.status
	}
	return http.StatusBadRequest
}

// Remedy says what a caller should do about n, or "" for an unknown number.
func (n ErrorNumber) Remedy() string { return numbers[n].remedy }

// Error makes the named constants usable as sentinels.
func (n ErrorNumber) Error() string {
	return fmt.Sprintf("apple error %d (%s)", int32(n), n.Name())
}

// Is lets a specific number match its canonical one: errors.Is(ErrMaxAssetsExceeded,
// ErrInvalidArgument) is true.
func (n ErrorNumber) Is(target error) bool {
	t, ok := target.(ErrorNumber)
	return ok && (t == n || t == n.Canonical())
}
