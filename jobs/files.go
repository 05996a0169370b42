package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dost-az/dost"
	"github.com/riverqueue/river"
)

// This file holds the sweep of orphan document files: files stored for an
// upload whose document was never recorded. Casework stores a document's
// file before the database write that records it; when that write fails,
// casework deletes the file, but when the failure is ambiguous (the
// commit may have succeeded) it leaves the file, which may be an orphan.
// The sweep deletes the files no document refers to once they are older
// than a grace period, which outlasts any upload in flight: a file is
// referred to, if ever, within moments of its Put.

// Defaults of the files_sweep job: its time of day in Baku and the age a
// file must reach before it is swept.
const (
	DefaultFilesSweepAt = 3 * time.Hour
	DefaultFilesGrace   = 24 * time.Hour
)

// filesSweepBatch is how many files the sweep looks up at once.
const filesSweepBatch = 500

// DocumentStore tells which stored files the documents of applications
// refer to (sqlstore.CaseStore).
type DocumentStore interface {
	// ReferencedStorageKeys returns which of keys a document refers to as
	// its StorageKey.
	ReferencedStorageKeys(ctx context.Context, keys []string) (map[string]bool, error)
}

// FilesSweepArgs is the files_sweep job: delete the files of
// Config.Files older than the grace period that no document refers to
// (Config.Documents).
type FilesSweepArgs struct{}

// Kind implements river.JobArgs.
func (FilesSweepArgs) Kind() string { return "files_sweep" }

// InsertOpts puts the job on QueueDefault with three attempts: a repeat
// deletes only what is still there.
func (FilesSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 3}
}

// filesSweepJob registers the worker of the files_sweep job and returns
// its periodic job: daily at DefaultFilesSweepAt, and when a node becomes
// River's leader. It fails unless the configuration has both Files and
// Documents and a grace period that is not negative.
func filesSweepJob(cfg Config, workers *river.Workers, logger *slog.Logger) (*river.PeriodicJob, error) {
	if cfg.Files == nil || cfg.Documents == nil {
		return nil, errors.New("jobs: the files_sweep job needs both Files and Documents")
	}
	if cfg.FilesGrace < 0 {
		return nil, fmt.Errorf("jobs: negative FilesGrace %v", cfg.FilesGrace)
	}
	river.AddWorker(workers, &filesSweepWorker{files: cfg.Files, docs: cfg.Documents, clock: cfg.Clock,
		grace: cmp.Or(cfg.FilesGrace, DefaultFilesGrace), logger: logger})
	return river.NewPeriodicJob(dailyAt(DefaultFilesSweepAt),
		func() (river.JobArgs, *river.InsertOpts) { return FilesSweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: FilesSweepArgs{}.Kind(), RunOnStart: true}), nil
}

// filesSweepWorker deletes orphan files.
type filesSweepWorker struct {
	river.WorkerDefaults[FilesSweepArgs]
	files  dost.FileStore
	docs   DocumentStore
	clock  dost.Clock
	grace  time.Duration
	logger *slog.Logger
}

// Timeout bounds one run; a run cut off has deleted what it got to, and
// the next one goes on.
func (w *filesSweepWorker) Timeout(*river.Job[FilesSweepArgs]) time.Duration { return JobTimeout }

// Work walks the store and deletes, batch by batch, the files older than
// the grace period that no document refers to. A file it fails to delete
// is logged and skipped, and the run then fails, to be retried.
func (w *filesSweepWorker) Work(ctx context.Context, job *river.Job[FilesSweepArgs]) error {
	cutoff := w.clock.Now().Add(-w.grace)
	var batch []string
	var seen, deleted, failed int
	sweep := func() error {
		refs, err := w.docs.ReferencedStorageKeys(ctx, batch)
		if err != nil {
			return err
		}
		for _, key := range batch {
			if refs[key] {
				continue
			}
			if err := w.files.Delete(ctx, key); err != nil {
				if ctx.Err() != nil {
					return err
				}
				failed++
				w.logger.Warn("files sweep: delete an orphan file", "key", key, "error", err)
				continue
			}
			deleted++
		}
		batch = batch[:0]
		return nil
	}
	err := w.files.Walk(ctx, func(key string, modTime time.Time) error {
		seen++
		if modTime.After(cutoff) {
			return nil // possibly an upload in flight
		}
		if batch = append(batch, key); len(batch) == filesSweepBatch {
			return sweep()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = sweep()
	}
	if deleted > 0 || failed > 0 {
		w.logger.Info("orphan document files deleted", "count", deleted, "failed", failed, "files", seen)
	}
	if err != nil {
		return fmt.Errorf("files sweep: %w", err)
	}
	if failed > 0 {
		return fmt.Errorf("files sweep: %d orphan files not deleted", failed)
	}
	return nil
}
