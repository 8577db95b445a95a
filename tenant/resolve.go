package tenant

import (
	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
)

// resolve reads a device's resolution from the resolver (cached there, by
// version) into targets, appended to buf. Only apps of the catalog are taken:
// every app the resolver knows came through the tenant's catalog.
func (t *Tenant) resolve(d *deviceState, buf []target) ([]target, error) {
	res, err := t.res.ResolveDeviceIndex(assign.DeviceIndex(d.idx))
	if err != nil {
		return buf, err
	}
	for i := 0; i < res.Len(); i++ {
		e := res.At(i)
		if int(e.AppIndex) >= len(t.cat.apps) || t.cat.apps[e.AppIndex] == nil {
			continue
		}
		buf = append(buf, targetOf(&e))
	}
	return buf, nil
}

func targetOf(e *assign.Effective) target {
	tg := target{app: int32(e.AppIndex), row: e.Row, deadline: nanos(e.Deadline)}
	if e.Intent&assign.IntentRequired != 0 {
		tg.intent |= inRequired
	}
	if e.Intent&assign.IntentAvailable != 0 {
		tg.intent |= inAvailable
	}
	if e.Intent&assign.IntentUninstall != 0 {
		tg.intent |= inUninstall
	}
	if e.Intent&assign.IntentAvailableWithoutEnrollment != 0 {
		tg.intent |= inAWOE
	}
	if e.UninstallOnDeviceRemoval {
		tg.opts |= optUninstallOnRemoval
	}
	if e.PreventAutoUpdate {
		tg.opts |= optPreventAutoUpdate
	}
	if e.LicenseType == mdm.LicenseUser {
		tg.opts |= optUserLicense
	}
	return tg
}

// intentText renders a record's intent set the way assign does.
func intentText(s intentSet) string {
	var i assign.Intent
	if s&inRequired != 0 {
		i |= assign.IntentRequired
	}
	if s&inAvailable != 0 {
		i |= assign.IntentAvailable
	}
	if s&inUninstall != 0 {
		i |= assign.IntentUninstall
	}
	if s&inAWOE != 0 {
		i |= assign.IntentAvailableWithoutEnrollment
	}
	return i.String()
}
