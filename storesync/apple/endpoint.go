package apple

// Endpoint is the path of an API endpoint below the base URL, as Apple's service/config
// names it. It appears in every error and is the key of the fake's fault injection.
type Endpoint string

// The endpoints of the Apps and Books v2 API this package speaks (S5).
const (
	EndpointServiceConfig Endpoint = "service/config"      // GET, no token
	EndpointClientConfig  Endpoint = "client/config"       // GET reads, POST sets mdmInfo (L3)
	EndpointAssets        Endpoint = "assets"              // GET, paged
	EndpointAssignments   Endpoint = "assignments"         // GET, paged, sinceVersionId
	EndpointAssociate     Endpoint = "assets/associate"    // POST, answers an eventId
	EndpointDisassociate  Endpoint = "assets/disassociate" // POST, answers an eventId
	EndpointUsers         Endpoint = "users"               // GET, paged, sinceVersionId
	EndpointCreateUsers   Endpoint = "users/create"        // POST, answers an eventId
	EndpointRetireUsers   Endpoint = "users/retire"        // POST, answers an eventId
	EndpointEventStatus   Endpoint = "status"              // GET ?eventId=
)

// Endpoints lists every endpoint above, in a fixed order.
func Endpoints() []Endpoint {
	return []Endpoint{EndpointServiceConfig, EndpointClientConfig, EndpointAssets, EndpointAssignments,
		EndpointAssociate, EndpointDisassociate, EndpointUsers, EndpointCreateUsers, EndpointRetireUsers,
		EndpointEventStatus}
}
