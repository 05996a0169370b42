// Package filestore keeps the content of uploaded documents on disk: Disk
// implements dost.FileStore on a directory, and Sniff checks that a
// document's content is of an accepted type and size before it is stored.
package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dost-az/dost"
)

// Key limits: a key is at most MaxKeyLength bytes, each of its segments at
// most 255 (the longest file name most file systems take).
const (
	MaxKeyLength     = 1024
	maxSegmentLength = 255
)

// ValidateKey checks that key is a key Disk accepts: a relative path of
// segments separated by "/", each non-empty, not starting with "." (so
// neither "." nor ".." nor the names of Disk's temporary files), made only
// of ASCII letters, digits, '.', '_' and '-'. It returns an EINVALID
// *dost.Error otherwise. Keys are made by dost, never taken from users.
func ValidateKey(key string) error {
	if key == "" {
		return keyError(key, "it is empty")
	}
	if len(key) > MaxKeyLength {
		return keyError(key, fmt.Sprintf("it is longer than %d bytes", MaxKeyLength))
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return keyError(key, "it has an empty segment or starts or ends with /")
		case seg[0] == '.':
			return keyError(key, "a segment starts with a dot")
		case len(seg) > maxSegmentLength:
			return keyError(key, fmt.Sprintf("a segment is longer than %d bytes", maxSegmentLength))
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return keyError(key, fmt.Sprintf("%q is not allowed", c))
			}
		}
	}
	return nil
}

func keyError(key, why string) error {
	return dost.Errorf(dost.EINVALID, "%q is not a file key: %s.", key, why)
}

// Disk is a dost.FileStore on a directory of the local file system: the
// content under key "a/b/c.pdf" is the file <dir>/a/b/c.pdf. It is safe for
// concurrent use, also by several processes sharing the directory. A crash
// during Put may leave a temporary file named ".tmp-*" next to where the
// content would have gone; such names are never keys. The directory must be
// on a file system with hard links (any Unix one), which Put relies on.
type Disk struct {
	dir string
}

var _ dost.FileStore = (*Disk)(nil)

// NewDisk returns a Disk storing under dir, creating dir (mode 0700) if it
// does not exist.
func NewDisk(dir string) (*Disk, error) {
	if dir == "" {
		return nil, errors.New("file store: no directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("file store: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("file store: %w", err)
	}
	return &Disk{dir: abs}, nil
}

// Dir returns the directory d stores under.
func (d *Disk) Dir() string { return d.dir }

func (d *Disk) path(key string) string { return filepath.Join(d.dir, filepath.FromSlash(key)) }

// Put stores r's content under key. The content is written to a temporary
// file in the key's directory, synced, and linked to its name, which fails
// if the name exists: of concurrent Puts of one key exactly one succeeds
// and the others get ECONFLICT, and a reader never sees partial content.
// The directories are synced too, so the content is durable when Put
// returns nil. EINVALID for a bad key (see ValidateKey).
func (d *Disk) Put(ctx context.Context, key string, r io.Reader) (err error) {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	name := d.path(key)
	dir := filepath.Dir(name)
	if _, err := os.Lstat(name); err == nil {
		return conflict(key)
	}
	if err := d.mkdirs(dir); errors.Is(err, syscall.ENOTDIR) {
		return conflict(key) // a prefix of key is a key
	} else if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}

	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if errors.Is(err, syscall.ENOTDIR) {
		return conflict(key)
	} else if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if _, err := io.Copy(tmp, ctxReader{ctx, r}); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	// A link, unlike a rename, never replaces an existing file.
	if err := os.Link(tmp.Name(), name); errors.Is(err, fs.ErrExist) {
		return conflict(key)
	} else if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Remove(tmp.Name()); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

func conflict(key string) error {
	return dost.Errorf(dost.ECONFLICT, "A file is already stored under %q.", key)
}

// mkdirs creates dir and its missing parents below d.dir, syncing the
// parent of every directory it creates so that the new entries survive a
// crash.
func (d *Disk) mkdirs(dir string) error {
	rel, err := filepath.Rel(d.dir, dir)
	if err != nil {
		return err
	}
	if rel == "." {
		return nil
	}
	parent := d.dir
	for _, seg := range strings.Split(rel, string(filepath.Separator)) {
		next := filepath.Join(parent, seg)
		if err := os.Mkdir(next, 0o700); err == nil {
			if err := syncDir(parent); err != nil {
				return err
			}
		} else if !errors.Is(err, fs.ErrExist) {
			return err
		}
		parent = next
	}
	return nil
}

// syncDir syncs a directory, making the creation, renaming or removal of
// its entries durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ctxReader stops a copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Open returns the content under key; the caller closes it. ENOTFOUND if
// there is none, EINVALID for a bad key.
func (d *Disk) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, notFound(key)
	} else if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	if fi, err := f.Stat(); err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", key, err)
	} else if !fi.Mode().IsRegular() {
		f.Close()
		return nil, notFound(key) // a directory: a prefix of keys, not a key
	}
	return f, nil
}

func notFound(key string) error {
	return dost.Errorf(dost.ENOTFOUND, "No file is stored under %q.", key)
}

// Delete removes the content under key and syncs its directory. Deleting a
// missing key is not an error; EINVALID for a bad key. Emptied directories
// are left in place.
func (d *Disk) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	name := d.path(key)
	if fi, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	} else if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	} else if fi.IsDir() {
		return nil // a prefix of keys, not a key
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := syncDir(filepath.Dir(name)); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// Walk calls fn with every key under d and its file's modification time
// (when Put wrote it), directory by directory in lexical order. It skips
// what is not a key: directories, Put's temporary files (".tmp-*", also
// those a crash left behind), anything else not a regular file, and names
// ValidateKey refuses (put there by something other than Disk). fn may
// Delete the keys it was given; a file or directory removed during the
// walk is skipped. Walk returns fn's error as it is, or ctx's.
func (d *Disk) Walk(ctx context.Context, fn func(key string, modTime time.Time) error) error {
	return filepath.WalkDir(d.dir, func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			if name != d.dir && errors.Is(err, fs.ErrNotExist) {
				return nil // removed since its directory was read
			}
			return fmt.Errorf("walk files: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if name == d.dir {
			return nil
		}
		if strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil // a directory (walked into) or a link, device, …
		}
		rel, err := filepath.Rel(d.dir, name)
		if err != nil {
			return fmt.Errorf("walk files: %w", err)
		}
		key := filepath.ToSlash(rel)
		if ValidateKey(key) != nil {
			return nil
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		} else if err != nil {
			return fmt.Errorf("walk files: %w", err)
		}
		return fn(key, fi.ModTime())
	})
}
