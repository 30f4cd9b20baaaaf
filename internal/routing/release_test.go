package routing_test

import (
	"slices"
	"testing"
	"time"
)

// A clean stop releases the lease at once: a standby takes the tenant over
// at its next look, not when the lease would have expired. (The loops leave
// the dispatcher's table as they end, so a release that read the table
// after waiting for them released nothing.)
func TestCleanStopReleasesTheLease(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 0)
	_, stop := e.dispatcher(time.Minute)
	stop()
	if n := e.count(`SELECT count(*) FROM routing_leases WHERE tenant_id = $1 AND expires_at > now()`, e.tenantID); n != 0 {
		t.Fatal("a cleanly stopped dispatcher still holds its lease")
	}
	next, _ := e.standby(time.Minute) // looks once at start, then every 20 s
	eventually(t, 5*time.Second, "the standby should take the released lease at once", func() bool {
		return slices.Contains(next.Leading(), e.tenantID)
	})
}
