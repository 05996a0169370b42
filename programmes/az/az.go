// Package az is the Azerbaijani rule set: the programmes of the DOST
// social-protection centres written as rules for package rules (variables
// with CEL formulas, parameters as time series, YAML tests), embedded in
// the binary.
//
// Every number comes from shared/reference/az-programmes.md and carries its
// source ([S25] …, with the address) in its legal reference. Where the
// reference says a value is unknown the parameter says so with a
// "TODO(source gap)" in its description, never an invented number; see
// README.md for the list. Where an answer rests on such a gap a *_needs_review
// variable says so (old_age_pension_needs_review, retirement_age_needs_review,
// disability_allowance_needs_review, birth_allowance_needs_review,
// unemployment_benefit_needs_review).
//
// Layout (see package rules):
//
//	parameters/pension.yaml       retirement age by date and sex, minimum pension, T, 25 years, 306 AZN, indexation
//	parameters/disability.yaml    allowance by degree, child amount, war/duty stipend
//	parameters/tssa.yaml          needs criterion by year
//	parameters/lump_sum.yaml      birth and funeral allowances
//	parameters/unemployment.yaml  rate by insurance years, conditions, duration, min/max (unknown)
//	variables/*.yaml              inputs (published names) and formulas
//	tests/*.yaml                  YAML tests, run by go test and `dost rules test`
package az

import (
	"embed"
	"io/fs"
	"sync"

	"github.com/dost-az/dost/rules"
)

//go:embed parameters variables tests
var files embed.FS

// FS returns the rule set's files: parameters/, variables/ and tests/.
func FS() fs.FS { return files }

var load = sync.OnceValues(func() (*rules.RuleSet, error) { return rules.Load(files) })

// RuleSet returns the loaded, checked and compiled rule set. It is loaded
// once and shared: a RuleSet is immutable and safe for concurrent use.
func RuleSet() (*rules.RuleSet, error) { return load() }
