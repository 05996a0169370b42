//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"syscall"
)

// jobsLock is a process's hold on the lock file beside a SQLite database
// (<file>-jobs.lock) that tells whether it is the only process working the
// database's jobs: every process that works them holds a shared flock on
// the file until it stops (the system drops it when a process dies), and
// one that takes it exclusively at start is alone, so the jobs left
// running were interrupted. A nil *jobsLock holds nothing.
type jobsLock struct {
	f *os.File
}

// takeJobsLock opens the lock file of the SQLite database db and tells
// whether this process is alone: then it holds the lock exclusively until
// share. Otherwise it holds it shared (waiting while a process starting
// meanwhile holds it exclusively). Two processes starting at once never
// both think themselves alone, and the one that is rescues before its
// River client starts, while the other waits.
func takeJobsLock(ctx context.Context, db *sql.DB) (l *jobsLock, alone bool, err error) {
	var seq int
	var name, file string
	if err := db.QueryRowContext(ctx, `PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		return nil, false, fmt.Errorf("jobs: the database's file: %w", err)
	}
	if file == "" {
		return nil, true, nil // a temporary database: no other process sees it
	}
	f, err := os.OpenFile(file+"-jobs.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("jobs: lock file: %w", err)
	}
	l = &jobsLock{f: f}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		return l, true, nil
	}
	if err := l.share(); err != nil {
		l.release()
		return nil, false, err
	}
	return l, false, nil
}

// share holds the lock shared, as every working process does while it
// runs, waiting while another process holds it exclusively.
func (l *jobsLock) share() error {
	if l == nil {
		return nil
	}
	if err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_SH); err != nil {
		return fmt.Errorf("jobs: lock file: %w", err)
	}
	return nil
}

// release ends the hold.
func (l *jobsLock) release() {
	if l != nil {
		l.f.Close()
	}
}
