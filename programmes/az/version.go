package az

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"sync"
)

// Version returns the version of the rule set: "az-" and the first 12
// hexadecimal digits of a SHA-256 over its embedded files (their paths in
// sorted order, each with its content). Any change to a parameter, a
// formula or a test changes it; decisions store it, so a decision says
// which law computed it.
func Version() string { return version() }

var version = sync.OnceValue(func() string {
	h, err := hashFS(files)
	if err != nil {
		// The files are embedded in the binary: reading them cannot fail.
		panic(fmt.Sprintf("programmes/az: hash the rule set: %v", err))
	}
	return "az-" + h[:12]
})

// hashFS returns the hexadecimal SHA-256 of every regular file of fsys:
// for each path in sorted order, the path, its content's length and the
// content, so that no two different trees hash alike by moving bytes from
// one file to the next.
func hashFS(fsys fs.FS) (string, error) {
	var paths []string
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return "", err
		}
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(len(b))))
		h.Write([]byte{0})
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
