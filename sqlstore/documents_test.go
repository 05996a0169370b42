package sqlstore_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

func TestCaseStore_ReferencedStorageKeys(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		deadline := today.AddDate(0, 0, 14)
		upload := func(code, key string) *dost.ApplicationDocument {
			return &dost.ApplicationDocument{Code: code, FileName: code + ".pdf", ContentType: "application/pdf",
				Size: 10, SHA256: "ab", StorageKey: key, UploadedBy: 7}
		}
		a := f.submit(t, application(f.aysel, pensionService, "docs-1", deadline), []*dost.ApplicationDocument{
			upload("id_card", "applications/2026/a1"), {Code: "photo", Presented: true},
		}, nil)
		f.submit(t, application(f.tural, pensionService, "docs-2", deadline), []*dost.ApplicationDocument{
			upload("id_card", "applications/2026/b2"),
		}, nil)
		d := upload("photo", "applications/2026/a3")
		d.ApplicationID = a.ID
		ok(t, f.s.AddDocument(ctx, d))

		// referenced returns the sorted keys of ReferencedStorageKeys.
		referenced := func(t *testing.T, keys []string) []string {
			t.Helper()
			got, err := f.s.ReferencedStorageKeys(ctx, keys)
			ok(t, err)
			return slices.Sorted(maps.Keys(got))
		}

		t.Run("OK", func(t *testing.T) {
			got := referenced(t, []string{"applications/2026/a3", "applications/2026/orphan", "applications/2026/a1",
				"applications/2026/a1", "applications/2026/b2", "applications/2026/A1"})
			if want := []string{"applications/2026/a1", "applications/2026/a3", "applications/2026/b2"}; !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})

		t.Run("None", func(t *testing.T) {
			for _, keys := range [][]string{nil, {}, {"applications/2026/orphan"}} {
				if got := referenced(t, keys); len(got) != 0 {
					t.Errorf("%q: got %v, want none", keys, got)
				}
			}
		})

		// A presented document has storage key "": "" is no file's key.
		t.Run("EmptyKey", func(t *testing.T) {
			if got := referenced(t, []string{"", "applications/2026/orphan"}); len(got) != 0 {
				t.Fatalf("got %q, want none", got)
			}
		})

		// Text PostgreSQL cannot store matches nothing, on both.
		t.Run("UnstorableKey", func(t *testing.T) {
			got := referenced(t, []string{"bad\xff", "nul\x00", "applications/2026/b2"})
			if want := []string{"applications/2026/b2"}; !slices.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})

		// Many keys take several queries; the referenced ones are found in
		// the first, a middle and the last, partial chunk.
		t.Run("ManyKeys", func(t *testing.T) {
			var keys []string
			for i := range 1203 {
				keys = append(keys, fmt.Sprintf("applications/2026/orphan-%04d", i))
			}
			keys[0], keys[777], keys[1202] = "applications/2026/b2", "applications/2026/a1", "applications/2026/a3"
			got := referenced(t, keys)
			if want := []string{"applications/2026/a1", "applications/2026/a3", "applications/2026/b2"}; !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	})
}
