package payroll

import (
	"testing"
	"time"

	"github.com/dost-az/dost"
)

// TestRefKey checks that references of dost's form pack into keys that
// no two share, and that any other (an out-of-range year, a garbled
// text) is not packed, so it is looked up by its whole text.
func TestRefKey(t *testing.T) {
	seen := map[uint64]string{}
	for _, award := range []int64{1, 2, 255, 256, 1 << 20, 1<<40 - 1} {
		for _, year := range []int{1900, 2026, 2999} {
			for _, month := range []time.Month{1, 11, 12} {
				for _, attempt := range []int{1, 2, 255} {
					ref := Reference(award, dost.Month{Year: year, Month: month}, attempt)
					k, ok := refKey(ref)
					if !ok {
						t.Fatalf("refKey(%q) not packed", ref)
					}
					if other, dup := seen[k]; dup {
						t.Fatalf("refKey(%q) = refKey(%q)", ref, other)
					}
					seen[k] = ref
				}
			}
		}
	}
	// Before the year was bounded, DOST-<A-1>-748707 packed like
	// DOST-<A>-202603.
	for _, ref := range []string{"DOST-41-748707", "DOST-42-189912", "DOST-42-300001", "DOST-42-202613", "DOST-42-202611-A1", "X-42-202611"} {
		if k, ok := refKey(ref); ok {
			t.Errorf("refKey(%q) = %d, want not packed", ref, k)
		}
	}
}
