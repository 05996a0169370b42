package dost

import (
	"context"
	"fmt"
	"strings"
)

// RowError is one problem with one row of an imported file.
type RowError struct {
	Line   int    `json:"line"`   // 1-based line (CSV) or row (XLSX) in the file
	Column string `json:"column"` // the header name of the offending column, or ""
	Reason string `json:"reason"`
}

// String formats the error as "line 12, fin: …".
func (r RowError) String() string {
	if r.Column == "" {
		return fmt.Sprintf("line %d: %s", r.Line, r.Reason)
	}
	return fmt.Sprintf("line %d, %s: %s", r.Line, r.Column, r.Reason)
}

// ImportError reports every bad row of a rejected import. Nothing of the
// file was stored.
type ImportError struct {
	Rows []RowError
}

// Error implements error, listing up to ten rows.
func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import rejected: %d bad rows", len(e.Rows))
	for i, r := range e.Rows {
		if i == 10 {
			fmt.Fprintf(&b, "; …")
			break
		}
		fmt.Fprintf(&b, "; %s", r)
	}
	return b.String()
}

// ImportBatch is a registry import: persons, households (members referenced
// by FIN) and income records (persons referenced by FIN). Line numbers let
// the store report conflicts with what is already stored.
type ImportBatch struct {
	Persons         []*Person
	PersonLines     []int
	Households      []*Household
	HouseholdLines  []int
	Incomes         []*ImportedIncome
	IncomeLines     []int
	Insurance       []*ImportedInsurancePeriod
	InsuranceLines  []int
	Disabilities    []*ImportedDisability
	DisabilityLines []int
}

// ImportedIncome is an income record whose person is named by FIN.
type ImportedIncome struct {
	FIN FIN
	IncomeRecord
}

// ImportedInsurancePeriod is an insurance period whose person is named by FIN.
type ImportedInsurancePeriod struct {
	FIN FIN
	InsurancePeriod
}

// ImportedDisability is a disability assessment whose person is named by FIN.
type ImportedDisability struct {
	FIN FIN
	DisabilityAssessment
}

// RegistryImporter stores a bulk import all-or-nothing.
type RegistryImporter interface {
	// Import stores the whole batch in one transaction. Rows that conflict
	// with stored data (a FIN already registered, an unknown FIN or
	// household) are reported together as an *ImportError and nothing is
	// stored. Rows are assumed already validated by the parser.
	Import(ctx context.Context, batch *ImportBatch) error

	// Check reports the rows Import would reject for conflicts, sorted by
	// line, and stores nothing.
	Check(ctx context.Context, batch *ImportBatch) ([]RowError, error)
}
