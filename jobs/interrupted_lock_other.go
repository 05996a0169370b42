//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package jobs

import (
	"context"
	"database/sql"
)

// jobsLock has no flock on this system: takeJobsLock never reports this
// process alone, so the jobs left running wait for River's rescuer.
type jobsLock struct{}

func takeJobsLock(context.Context, *sql.DB) (*jobsLock, bool, error) { return nil, false, nil }
func (l *jobsLock) share() error                                     { return nil }
func (l *jobsLock) release()                                         {}
