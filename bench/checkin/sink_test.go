package checkin

import (
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/tenant"
)

// The tenant is what store sync writes through (issue 5, issue 6): checked at
// compile time outside package tenant, which must not import storesync.
var _ storesync.Sink = (*tenant.Tenant)(nil)
