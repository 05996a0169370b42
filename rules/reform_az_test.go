package rules_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
)

// TestAZReforms loads every example reform of programmes/az/reforms and
// applies it to the Azerbaijani rule set: they are documentation users
// copy, so they must stay valid as the rule set changes.
func TestAZReforms(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "programmes", "az", "reforms")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reforms in %s (%v)", dir, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			r, err := rules.LoadReform(os.DirFS(dir), filepath.Base(file))
			if err != nil {
				t.Fatal(err)
			}
			if r.Description == "" {
				t.Error("the reform has no description")
			}
			if _, err := rs.Apply(*r); err != nil {
				t.Fatal(err)
			}
		})
	}
}
