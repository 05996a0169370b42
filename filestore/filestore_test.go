package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/filestore"
)

func newDisk(t testing.TB) *filestore.Disk {
	t.Helper()
	d, err := filestore.NewDisk(filepath.Join(t.TempDir(), "files"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func read(t *testing.T, d *filestore.Disk, key string) string {
	t.Helper()
	rc, err := d.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// entries lists every file and directory under dir, relative, with "/".
func entries(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDisk(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		d := newDisk(t)
		key := "applications/42/1-passport.pdf"
		if err := d.Put(ctx, key, strings.NewReader("%PDF-1.4 content")); err != nil {
			t.Fatal(err)
		}
		if got := read(t, d, key); got != "%PDF-1.4 content" {
			t.Errorf("content = %q, want %q", got, "%PDF-1.4 content")
		}
		// The durable shape: the file at its name, private, no temporary file left.
		got := strings.Join(entries(t, d.Dir()), " ")
		if want := "applications applications/42 applications/42/1-passport.pdf"; got != want {
			t.Errorf("entries = %q, want %q", got, want)
		}
		fi, err := os.Stat(filepath.Join(d.Dir(), "applications", "42", "1-passport.pdf"))
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("mode = %v, want no access for group and others", perm)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		d := newDisk(t)
		if err := d.Put(ctx, "a/b.png", strings.NewReader("first")); err != nil {
			t.Fatal(err)
		}
		err := d.Put(ctx, "a/b.png", strings.NewReader("second"))
		if code := dost.ErrorCode(err); code != dost.ECONFLICT {
			t.Errorf("second Put: code %q (%v), want %q", code, err, dost.ECONFLICT)
		}
		if got := read(t, d, "a/b.png"); got != "first" {
			t.Errorf("content = %q, want %q", got, "first")
		}
		// A key that is a prefix of another, or has one as its prefix.
		for _, key := range []string{"a", "a/b.png/c"} {
			if code := dost.ErrorCode(d.Put(ctx, key, strings.NewReader("x"))); code != dost.ECONFLICT {
				t.Errorf("Put(%q): code %q, want %q", key, code, dost.ECONFLICT)
			}
		}
		if got := strings.Join(entries(t, d.Dir()), " "); got != "a a/b.png" {
			t.Errorf("entries = %q, want %q", got, "a a/b.png")
		}
	})

	t.Run("ConcurrentPut", func(t *testing.T) {
		d := newDisk(t)
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = d.Put(ctx, "race/doc.pdf", strings.NewReader(fmt.Sprintf("content %d", i)))
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch code := dost.ErrorCode(err); code {
			case "":
				if winner >= 0 {
					t.Errorf("Puts %d and %d both succeeded", winner, i)
				}
				winner = i
			case dost.ECONFLICT:
			default:
				t.Errorf("Put %d: %v, want nil or %s", i, err, dost.ECONFLICT)
			}
		}
		if winner < 0 {
			t.Fatal("no Put succeeded")
		}
		if got, want := read(t, d, "race/doc.pdf"), fmt.Sprintf("content %d", winner); got != want {
			t.Errorf("content = %q, want the winner's %q", got, want)
		}
		if got := strings.Join(entries(t, d.Dir()), " "); got != "race race/doc.pdf" {
			t.Errorf("entries = %q, want no temporary files", got)
		}
	})

	t.Run("ReaderFails", func(t *testing.T) {
		d := newDisk(t)
		r := io.MultiReader(strings.NewReader("partial"), errReader{})
		if err := d.Put(ctx, "x/y.pdf", r); err == nil {
			t.Fatal("Put with a failing reader succeeded")
		}
		if code := openCode(d, "x/y.pdf"); code != dost.ENOTFOUND {
			t.Errorf("Open after a failed Put: code %q, want %q", code, dost.ENOTFOUND)
		}
		if got := strings.Join(entries(t, d.Dir()), " "); got != "x" {
			t.Errorf("entries = %q, want only the directory", got)
		}
		// The key is still free.
		if err := d.Put(ctx, "x/y.pdf", strings.NewReader("whole")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ContextCanceled", func(t *testing.T) {
		d := newDisk(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := d.Put(cctx, "c.pdf", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
			t.Errorf("Put: %v, want context.Canceled", err)
		}
		if got := entries(t, d.Dir()); len(got) != 0 {
			t.Errorf("entries = %q, want none", got)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		d := newDisk(t)
		if err := d.Put(ctx, "dir/file.pdf", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"missing.pdf", "dir/missing.pdf", "dir", "dir/file.pdf/below"} {
			if code := openCode(d, key); code != dost.ENOTFOUND {
				t.Errorf("Open(%q): code %q, want %q", key, code, dost.ENOTFOUND)
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		d := newDisk(t)
		if err := d.Put(ctx, "del/me.jpg", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		for i := range 2 { // idempotent
			if err := d.Delete(ctx, "del/me.jpg"); err != nil {
				t.Fatalf("Delete #%d: %v", i+1, err)
			}
		}
		if code := openCode(d, "del/me.jpg"); code != dost.ENOTFOUND {
			t.Errorf("Open after Delete: code %q, want %q", code, dost.ENOTFOUND)
		}
		for _, key := range []string{"never/there.pdf", "del", "del/me.jpg/below"} {
			if err := d.Delete(ctx, key); err != nil {
				t.Errorf("Delete(%q): %v, want nil", key, err)
			}
		}
		if err := d.Put(ctx, "del/me.jpg", strings.NewReader("again")); err != nil {
			t.Fatalf("Put after Delete: %v", err)
		}
	})

	t.Run("ErrInvalidKey", func(t *testing.T) {
		d := newDisk(t)
		for _, key := range badKeys {
			if code := dost.ErrorCode(d.Put(ctx, key, strings.NewReader("x"))); code != dost.EINVALID {
				t.Errorf("Put(%q): code %q, want %q", key, code, dost.EINVALID)
			}
			if code := openCode(d, key); code != dost.EINVALID {
				t.Errorf("Open(%q): code %q, want %q", key, code, dost.EINVALID)
			}
			if code := dost.ErrorCode(d.Delete(ctx, key)); code != dost.EINVALID {
				t.Errorf("Delete(%q): code %q, want %q", key, code, dost.EINVALID)
			}
		}
		if got := entries(t, filepath.Dir(d.Dir())); len(got) != 1 {
			t.Errorf("entries beside the store = %q, want only %q", got, "files")
		}
	})
}

var badKeys = []string{
	"", "/abs.pdf", "a//b.pdf", "a/", "../x.pdf", "a/../../x.pdf", "..", ".", "a/./b.pdf",
	".hidden", "a/.tmp-123", "a b.pdf", `a\b.pdf`, "a:b", "ə.pdf", "a\x00b", "a\nb", "C:/x",
	strings.Repeat("a", 256), strings.Repeat("a/", 600) + "a",
}

func TestValidateKey(t *testing.T) {
	for _, key := range []string{"a", "applications/42/1-passport.pdf", "A_b-c.d/e.PNG", "x..y", strings.Repeat("a", 255)} {
		if err := filestore.ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q): %v, want nil", key, err)
		}
	}
	for _, key := range badKeys {
		if code := dost.ErrorCode(filestore.ValidateKey(key)); code != dost.EINVALID {
			t.Errorf("ValidateKey(%q): code %q, want %q", key, code, dost.EINVALID)
		}
	}
}

func openCode(d *filestore.Disk, key string) string {
	rc, err := d.Open(context.Background(), key)
	if err == nil {
		rc.Close()
	}
	return dost.ErrorCode(err)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// keyPattern is ValidateKey's rule written another way, for the fuzz test.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,254})*$`)

// maxFuzzPutSegments is the most segments of a key FuzzValidateKey writes.
const maxFuzzPutSegments = 8

// FuzzValidateKey checks ValidateKey against keyPattern, that every
// accepted key names a file inside the store, and that Put refuses what
// ValidateKey refuses and writes what it accepts (keys of up to
// maxFuzzPutSegments segments).
func FuzzValidateKey(f *testing.F) {
	for _, k := range append([]string{"a", "applications/42/1-passport.pdf", "x..y/z"}, badKeys...) {
		f.Add(k)
	}
	d, err := filestore.NewDisk(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := filestore.ValidateKey(key)
		if want := keyPattern.MatchString(key) && len(key) <= filestore.MaxKeyLength; (err == nil) != want {
			t.Fatalf("ValidateKey(%q) = %v, want accepted %v", key, err, want)
		}
		if err != nil {
			if code := dost.ErrorCode(err); code != dost.EINVALID {
				t.Fatalf("ValidateKey(%q): code %q, want %q", key, code, dost.EINVALID)
			}
			if code := dost.ErrorCode(d.Put(context.Background(), key, strings.NewReader("x"))); code != dost.EINVALID {
				t.Fatalf("Put(%q): code %q, want %q", key, code, dost.EINVALID)
			}
			return
		}
		if !filepath.IsLocal(key) || path.Clean(key) != key {
			t.Fatalf("ValidateKey accepted %q, which is not local and clean", key)
		}
		name := filepath.Join(d.Dir(), filepath.FromSlash(key))
		if rel, err := filepath.Rel(d.Dir(), name); err != nil || filepath.ToSlash(rel) != key {
			t.Fatalf("key %q stored at %q, outside its place", key, rel)
		}
		// Put syncs every directory it creates: a valid key of hundreds
		// of segments takes seconds on a busy disk, past the fuzzer's
		// 10 s limit for one input (testdata/fuzz/FuzzValidateKey/
		// de5f18fe853fd91e, 380 segments). dost's keys have a few, so
		// only those are written.
		if strings.Count(key, "/") >= maxFuzzPutSegments {
			return
		}
		putErr := d.Put(context.Background(), key, strings.NewReader("x"))
		if putErr != nil && dost.ErrorCode(putErr) != dost.ECONFLICT { // seen before, or a prefix of a seen key
			t.Fatalf("Put(%q): %v", key, putErr)
		}
		if putErr == nil {
			if b, err := os.ReadFile(name); err != nil || string(b) != "x" {
				t.Fatalf("Put(%q) did not write %s: %q, %v", key, name, b, err)
			}
		}
	})
}

// walk returns what d.Walk visits, key → modification time.
func walk(t *testing.T, d *filestore.Disk) map[string]time.Time {
	t.Helper()
	got := map[string]time.Time{}
	err := d.Walk(context.Background(), func(key string, modTime time.Time) error {
		if _, dup := got[key]; dup {
			t.Errorf("%s visited twice", key)
		}
		got[key] = modTime
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got
}

func TestDisk_Walk(t *testing.T) {
	ctx := context.Background()
	keys := []string{"applications/2026/aa01", "applications/2026/bb02", "applications/2025/cc03", "top.pdf"}
	old := time.Date(2026, time.November, 1, 8, 0, 0, 0, time.UTC)

	// put stores keys, each modified i hours after old.
	put := func(t *testing.T, d *filestore.Disk) {
		t.Helper()
		for i, k := range keys {
			if err := d.Put(ctx, k, strings.NewReader("content of "+k)); err != nil {
				t.Fatal(err)
			}
			at := old.Add(time.Duration(i) * time.Hour)
			if err := os.Chtimes(filepath.Join(d.Dir(), filepath.FromSlash(k)), at, at); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("OK", func(t *testing.T) {
		d := newDisk(t)
		if got := walk(t, d); len(got) != 0 {
			t.Fatalf("empty store: got %v, want nothing", got)
		}
		put(t, d)
		// What is not a key: a temporary file a crashed Put left, one in a
		// directory of its own, a name Disk refuses, a link, an empty directory.
		dir := d.Dir()
		for _, name := range []string{"applications/2026/.tmp-123", ".tmp-9/x", "applications/bad name.pdf", ".hidden"} {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("not a key"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(filepath.Join(dir, "top.pdf"), filepath.Join(dir, "applications", "link.pdf")); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(dir, "empty"), 0o700); err != nil {
			t.Fatal(err)
		}

		got := walk(t, d)
		if len(got) != len(keys) {
			t.Errorf("got %d keys %v, want %d", len(got), got, len(keys))
		}
		for i, k := range keys {
			if want := old.Add(time.Duration(i) * time.Hour); !got[k].Equal(want) {
				t.Errorf("%s: got modification time %v, want %v", k, got[k], want)
			}
		}
	})

	t.Run("DeleteWhileWalking", func(t *testing.T) {
		d := newDisk(t)
		put(t, d)
		n := 0
		err := d.Walk(ctx, func(key string, _ time.Time) error {
			n++
			// Deleting the visited key and one not yet visited.
			if err := d.Delete(ctx, key); err != nil {
				return err
			}
			return d.Delete(ctx, "top.pdf")
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != len(keys)-1 {
			t.Errorf("got %d keys visited, want %d (top.pdf deleted before it was reached)", n, len(keys)-1)
		}
		if got := walk(t, d); len(got) != 0 {
			t.Errorf("got %v left, want nothing", got)
		}
	})

	t.Run("ErrFromFn", func(t *testing.T) {
		d := newDisk(t)
		put(t, d)
		stop := errors.New("stop")
		n := 0
		err := d.Walk(ctx, func(string, time.Time) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("got %v after %d calls, want fn's error after one", err, n)
		}
	})

	t.Run("ContextCanceled", func(t *testing.T) {
		d := newDisk(t)
		put(t, d)
		cctx, cancel := context.WithCancel(ctx)
		n := 0
		err := d.Walk(cctx, func(string, time.Time) error { n++; cancel(); return nil })
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Fatalf("got %v after %d calls, want context.Canceled after one", err, n)
		}
	})

	t.Run("ErrDirRemoved", func(t *testing.T) {
		d := newDisk(t)
		if err := os.Remove(d.Dir()); err != nil {
			t.Fatal(err)
		}
		err := d.Walk(ctx, func(string, time.Time) error { return nil })
		if err == nil || dost.ErrorCode(err) != dost.EINTERNAL {
			t.Fatalf("got %v, want an internal error", err)
		}
	})

	// Walking while Puts run never visits a Put's temporary file nor
	// content not yet whole.
	t.Run("ConcurrentPut", func(t *testing.T) {
		d := newDisk(t)
		content := strings.Repeat("x", 64<<10)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					if err := d.Put(ctx, fmt.Sprintf("applications/2026/g%d-%03d", g, i), strings.NewReader(content)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		for walking := true; walking; {
			select {
			case <-done:
				walking = false
			default:
			}
			err := d.Walk(ctx, func(key string, _ time.Time) error {
				if got := read(t, d, key); len(got) != len(content) {
					return fmt.Errorf("%s: got %d bytes, want %d", key, len(got), len(content))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := walk(t, d); len(got) != 200 {
			t.Fatalf("got %d keys, want 200", len(got))
		}
	})
}
