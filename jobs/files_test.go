package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/filestore"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/sqlstore"
)

// filesFixture is a database with one application whose documents refer
// to two files, and a file store.
type filesFixture struct {
	db    *sqlstore.DB
	files *filestore.Disk
	now   time.Time
	log   *syncBuffer
}

// referenced are the keys of the fixture's documents.
var referenced = []string{"applications/2026/ref-old", "applications/2026/ref-young"}

func newFilesFixture(t *testing.T, db *sqlstore.DB) *filesFixture {
	t.Helper()
	services, err := catalogue.Services()
	ok(t, err)
	svc := services[0]
	ok(t, sqlstore.NewCatalogueService(db).SaveService(ctx, svc))
	p := &dost.Person{FIN: "FIL0001", FirstName: "Aysel", LastName: "Məmmədova", Patronymic: "Vaqif qızı",
		BirthDate: dost.MustDate("1960-03-15"), Sex: dost.SexFemale, Region: "Baku"}
	ok(t, sqlstore.NewPersonService(db).CreatePerson(ctx, p))
	docs := []*dost.ApplicationDocument{{Code: "photo", Presented: true}}
	for _, k := range referenced {
		docs = append(docs, &dost.ApplicationDocument{Code: "id_card", FileName: "id.pdf", ContentType: "application/pdf",
			Size: 4, SHA256: "ab", StorageKey: k, UploadedBy: 7})
	}
	_, created, err := sqlstore.NewCaseStore(db).CreateApplication(ctx, &dost.Application{PersonID: p.ID, FIN: p.FIN,
		ServiceCode: svc.Code, CentreID: 1, Channel: dost.ApplicationAtCentre, Status: dost.ApplicationSubmitted,
		Deadline: dost.MustDate("2026-12-01"), SubmittedBy: 7,
		Transitions: []*dost.Transition{{Action: "submit", To: dost.ApplicationSubmitted, ActorID: 7}}}, docs, nil)
	ok(t, err)
	if !created {
		t.Fatal("application not created")
	}
	files, err := filestore.NewDisk(filepath.Join(t.TempDir(), "files"))
	ok(t, err)
	return &filesFixture{db: db, files: files, now: db.Clock().Now(), log: &syncBuffer{}}
}

// put stores key, last modified age before the fixture's now.
func (f *filesFixture) put(t *testing.T, key string, age time.Duration) {
	t.Helper()
	ok(t, f.files.Put(ctx, key, strings.NewReader("%PDF")))
	at := f.now.Add(-age)
	ok(t, os.Chtimes(filepath.Join(f.files.Dir(), filepath.FromSlash(key)), at, at))
}

// keys returns the keys stored.
func (f *filesFixture) keys(t *testing.T) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	ok(t, f.files.Walk(ctx, func(key string, _ time.Time) error { got[key] = true; return nil }))
	return got
}

// config returns a Runner configuration with the sweep alone, logging at
// Info to f.log.
func (f *filesFixture) config(files dost.FileStore) jobs.Config {
	return jobs.Config{DB: f.db.WriterDB(), Dialect: f.db.Dialect(), Clock: f.db.Clock(),
		Logger: slog.New(slog.NewTextHandler(f.log, nil)),
		Files:  files, Documents: sqlstore.NewCaseStore(f.db)}
}

// sweepDone waits until a files_sweep job is done in state.
func sweepDone(t *testing.T, db *sqlstore.DB, state string) {
	t.Helper()
	eventually(t, "files_sweep "+state, func() bool { return jobsOf(t, db, "files_sweep", state) >= 1 })
}

// TestFilesSweep runs the sweep at start over referenced files, old
// orphans (more than one batch of them) and young ones: only the old
// orphans go.
func TestFilesSweep(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFilesFixture(t, db)
		day := 24 * time.Hour
		f.put(t, referenced[0], 30*day)
		f.put(t, referenced[1], time.Minute)
		f.put(t, "applications/2026/orphan-old", day+time.Minute)
		f.put(t, "applications/2026/orphan-young", day-time.Minute) // an upload in flight, maybe
		f.put(t, "applications/2025/orphan-older", 400*day)
		// More old orphans than one batch looks up, written directly (Put
		// syncs every file, which is slow and proves nothing here).
		dir := filepath.Join(f.files.Dir(), "applications", "2024")
		ok(t, os.MkdirAll(dir, 0o700))
		old := f.now.Add(-2 * day)
		for i := range 1203 {
			name := filepath.Join(dir, fmt.Sprintf("bulk-%04d", i))
			ok(t, os.WriteFile(name, []byte("%PDF"), 0o600))
			ok(t, os.Chtimes(name, old, old))
		}

		start(t, f.config(f.files))
		sweepDone(t, db, "completed")

		got := f.keys(t)
		want := map[string]bool{referenced[0]: true, referenced[1]: true, "applications/2026/orphan-young": true}
		if len(got) != len(want) {
			t.Errorf("got %d files left, want %d: %v", len(got), len(want), want)
		}
		for k := range want {
			if !got[k] {
				t.Errorf("%s was deleted, want it kept", k)
			}
		}
		if log := f.log.String(); !strings.Contains(log, `msg="orphan document files deleted"`) || !strings.Contains(log, "count=1205 failed=0") {
			t.Errorf("log: got %q, want the count of files deleted", log)
		}
	})
}

// failingDelete is a file store whose Delete of one key fails.
type failingDelete struct {
	*filestore.Disk
	key string
}

func (s failingDelete) Delete(ctx context.Context, key string) error {
	if key == s.key {
		return errors.New("permission denied")
	}
	return s.Disk.Delete(ctx, key)
}

// TestFilesSweep_DeleteFails: a file the sweep cannot delete does not
// stop it; the run fails, to be retried.
func TestFilesSweep_DeleteFails(t *testing.T) {
	t.Parallel()
	db := dosttest.OpenDB(t, sqlstore.DialectSQLite)
	f := newFilesFixture(t, db)
	f.put(t, referenced[0], 48*time.Hour)
	for _, k := range []string{"a/1", "a/2", "a/3"} {
		f.put(t, k, 48*time.Hour)
	}
	start(t, f.config(failingDelete{Disk: f.files, key: "a/2"}))
	eventually(t, "the sweep failed on a/2", func() bool {
		return strings.Contains(f.log.String(), "orphan document files deleted") && strings.Contains(f.log.String(), "a/2")
	})
	got := f.keys(t)
	if len(got) != 2 || !got[referenced[0]] || !got["a/2"] {
		t.Fatalf("got %v left, want %s and a/2", got, referenced[0])
	}
	if log := f.log.String(); !strings.Contains(log, "count=2 failed=1") {
		t.Errorf("log: got %q, want 2 deleted and 1 failed", log)
	}
}

func TestFilesSweep_ErrConfig(t *testing.T) {
	t.Parallel()
	db := dosttest.OpenDB(t, sqlstore.DialectSQLite)
	files, err := filestore.NewDisk(t.TempDir())
	ok(t, err)
	base := jobs.Config{DB: db.WriterDB(), Dialect: db.Dialect()}
	for name, cfg := range map[string]func(c jobs.Config) jobs.Config{
		"no documents": func(c jobs.Config) jobs.Config { c.Files = files; return c },
		"no files":     func(c jobs.Config) jobs.Config { c.Documents = sqlstore.NewCaseStore(db); return c },
		"negative grace": func(c jobs.Config) jobs.Config {
			c.Files, c.Documents, c.FilesGrace = files, sqlstore.NewCaseStore(db), -time.Hour
			return c
		},
	} {
		if _, err := jobs.New(ctx, cfg(base)); err == nil {
			t.Errorf("%s: got nil, want an error", name)
		}
	}
}
