package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/situation"
)

const rulesUsage = `Usage:
  dost rules test [DIR]     run the YAML tests of the embedded Azerbaijani rule set (or of DIR)
  dost rules check [DIR]    load and type-check the rule set only
  dost rules run --period 2026-11 [--reform FILE]... [flags]
                            compute the rule set over the registry's population
  dost calc [--trace] [--format json|text] [--reform FILE]... FILE|-
                            compute the nulls of an OpenFisca-shaped situation

--reform FILE applies a reform (a YAML overlay of parameter values and
formulas, see programmes/az/reforms/) to the rule set first; repeat it to
apply several, in order.
`

// runRules runs "dost rules test|check|run".
func runRules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, rulesUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "test":
		return runRulesTest(args[1:], stdout, stderr)
	case "check":
		return runRulesCheck(args[1:], stdout, stderr)
	case "run":
		return runRulesRun(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, rulesUsage)
		return nil
	}
	fmt.Fprint(stderr, rulesUsage)
	return fmt.Errorf("unknown rules command %q", args[0])
}

// ruleSetArg loads the rule set a command names: the embedded Azerbaijani
// one with no argument, else the directory given. The returned FS holds
// its tests.
func ruleSetArg(name string, args []string, stderr io.Writer) (*rules.RuleSet, fs.FS, string, error) {
	fset := newFlagSet(name, stderr)
	if err := fset.Parse(args); err != nil {
		return nil, nil, "", err
	}
	switch fset.NArg() {
	case 0:
		rs, err := az.RuleSet()
		return rs, az.FS(), "programmes/az (embedded)", err
	case 1:
		dir := fset.Arg(0)
		st, err := os.Stat(dir)
		if err != nil {
			return nil, nil, dir, err
		}
		if !st.IsDir() {
			return nil, nil, dir, fmt.Errorf("%s is not a directory", dir)
		}
		fsys := os.DirFS(dir)
		rs, err := rules.Load(fsys)
		return rs, fsys, dir, prefixLoadErrors(err, dir)
	}
	return nil, nil, "", fmt.Errorf("%s: want at most one directory, got %d arguments", name, fset.NArg())
}

// prefixLoadErrors makes the files of load errors paths from the current
// directory, so that editors can jump to them.
func prefixLoadErrors(err error, dir string) error {
	var les rules.LoadErrors
	if !errors.As(err, &les) {
		return err
	}
	out := make(rules.LoadErrors, len(les))
	for i, e := range les {
		c := *e
		if c.File != "" {
			c.File = filepath.Join(dir, filepath.FromSlash(c.File))
		}
		out[i] = &c
	}
	return out
}

// printLoadError prints a load error one problem a line, as file:line:
// variable name: message.
func printLoadError(w io.Writer, err error) int {
	var les rules.LoadErrors
	if errors.As(err, &les) {
		for _, e := range les {
			fmt.Fprintln(w, e)
		}
		return len(les)
	}
	fmt.Fprintln(w, err)
	return 1
}

func runRulesCheck(args []string, stdout, stderr io.Writer) error {
	rs, _, where, err := ruleSetArg("rules check", args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		n := printLoadError(stderr, err)
		return fmt.Errorf("rules check %s: %d problem(s)", where, n)
	}
	formulas := 0
	for _, v := range rs.Variables() {
		formulas += len(v.Formulas)
	}
	fmt.Fprintf(stdout, "ok %s: %d variables (%d formulas), %d parameters\n", where, len(rs.Variables()), formulas, len(rs.Parameters()))
	return nil
}

func runRulesTest(args []string, stdout, stderr io.Writer) error {
	rs, fsys, where, err := ruleSetArg("rules test", args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		n := printLoadError(stderr, err)
		return fmt.Errorf("rules test %s: the rule set does not load: %d problem(s)", where, n)
	}
	results, err := rs.RunTests(fsys)
	if err != nil {
		return fmt.Errorf("rules test %s: %w", where, err)
	}
	failed := 0
	for _, r := range results {
		if r.Passed() {
			fmt.Fprintf(stdout, "ok   %s:%d: %s\n", r.Case.File, r.Case.Line, r.Case.Name)
			continue
		}
		failed++
		fmt.Fprintf(stdout, "FAIL %s:%d: %s\n", r.Case.File, r.Case.Line, r.Case.Name)
		for _, f := range r.Failures {
			fmt.Fprintf(stdout, "     %s\n", f)
		}
	}
	fmt.Fprintf(stdout, "%s: %d passed, %d failed\n", where, len(results)-failed, failed)
	if len(results) == 0 {
		return fmt.Errorf("rules test %s: no tests found under tests/", where)
	}
	if failed > 0 {
		return fmt.Errorf("rules test %s: %d of %d tests failed", where, failed, len(results))
	}
	return nil
}

// runCalc runs "dost calc": a situation in, the same situation with its
// nulls computed out; with --reform FILE (repeatable) by the rule set with
// those reforms applied in order, each named on stderr.
func runCalc(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fset := newFlagSet("calc", stderr)
	trace := fset.Bool("trace", false, "also print the explanation of every computed value as text")
	format := fset.String("format", "json", "output format: json or text")
	rulesDir := fset.String("rules", "", "a rule-set directory instead of the embedded Azerbaijani rules")
	var reforms reformFiles
	fset.Var(&reforms, "reform", "a reform YAML file to apply to the rules (repeatable, applied in order)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if *format != "json" && *format != "text" {
		return fmt.Errorf("calc: --format %q is not json or text", *format)
	}
	if fset.NArg() != 1 {
		return fmt.Errorf("calc: want one situation file (or - for standard input)")
	}
	var data []byte
	var err error
	name := fset.Arg(0)
	if name == "-" {
		name = "stdin"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return fmt.Errorf("calc: %w", err)
	}
	var rs *rules.RuleSet
	if *rulesDir != "" {
		rs, err = rules.Load(os.DirFS(*rulesDir))
		err = prefixLoadErrors(err, *rulesDir)
	} else {
		rs, err = az.RuleSet()
	}
	if err != nil {
		printLoadError(stderr, err)
		return fmt.Errorf("calc: the rule set does not load")
	}
	rs, names, err := applyReforms(rs, reforms)
	if err != nil {
		printLoadError(stderr, err)
		return fmt.Errorf("calc: the reform does not apply")
	}
	for i, n := range names {
		fmt.Fprintf(stderr, "calc: with reform %s (%s)\n", n, reforms[i])
	}
	sit, err := situation.Decode(rs, data)
	if err != nil {
		return calcError(stderr, name, data, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	traces, err := sit.Calculate(rs, *trace)
	if err != nil {
		return fmt.Errorf("calc: %s: %w", name, err)
	}
	switch *format {
	case "json":
		out, err := sit.AppendJSON(nil)
		if err != nil {
			return fmt.Errorf("calc: %s: %w", name, err)
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, out, "", "  "); err != nil {
			return fmt.Errorf("calc: %w", err)
		}
		buf.WriteByte('\n')
		stdout.Write(buf.Bytes())
	case "text":
		writeCalcText(stdout, sit)
	}
	if *trace {
		for _, tr := range traces {
			fmt.Fprintln(stdout)
			if err := tr.WriteText(stdout); err != nil {
				return fmt.Errorf("calc: trace: %w", err)
			}
		}
	}
	return nil
}

// reformFiles is the value of a repeatable --reform flag: reform files in
// the order given.
type reformFiles []string

// String returns the files joined by commas.
func (r *reformFiles) String() string { return strings.Join(*r, ",") }

// Set adds a file.
func (r *reformFiles) Set(file string) error {
	if file == "" {
		return errors.New("a reform file name is empty")
	}
	*r = append(*r, file)
	return nil
}

// applyReforms applies the reforms in files to rs in order and returns the
// reformed rule set with the reforms' names. An error names the file: a
// LoadErrors (file and line) for a reform that does not parse or whose
// formulas do not compile against rs, else why it does not apply (an
// unknown parameter or variable, a value of the wrong kind).
func applyReforms(rs *rules.RuleSet, files []string) (*rules.RuleSet, []string, error) {
	var names []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("reform: %w", err)
		}
		r, err := rules.ParseReform(file, data)
		if err != nil {
			return nil, nil, err
		}
		if rs, err = rs.Apply(*r); err != nil {
			var les rules.LoadErrors
			if errors.As(err, &les) {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		names = append(names, r.Name)
	}
	return rs, names, nil
}

// calcError reports an error of situation.Decode for the situation file
// name: each problem on a line of stderr, as "name: field: message"; a
// JSON syntax error with its offset.
func calcError(stderr io.Writer, name string, data []byte, err error) error {
	var se *situation.Error
	if !errors.As(err, &se) || len(se.Problems) == 0 {
		var syntax *json.SyntaxError
		if errors.Is(err, situation.ErrNotObject) && errors.As(json.Unmarshal(data, new(any)), &syntax) {
			return fmt.Errorf("calc: %s: not JSON: %v (offset %d)", name, syntax, syntax.Offset)
		}
		return fmt.Errorf("calc: %s: %w", name, err)
	}
	for _, p := range se.Problems {
		fmt.Fprintf(stderr, "%s: %s\n", name, p)
	}
	return fmt.Errorf("calc: %s: the situation is not valid: %d problem(s)", name, len(se.Problems))
}

// writeCalcText prints one line per value: entity id, variable, period,
// value, sorted.
func writeCalcText(w io.Writer, sit *situation.Situation) {
	var lines []string
	for v := range sit.Values() {
		lines = append(lines, fmt.Sprintf("%s %s\t%s\t%s\t%s", v.Entity, v.ID, v.Variable.Name, v.Period, textValue(v.Variable, v.X)))
	}
	sort.Strings(lines)
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}

// textValue formats a value for the text output: money with two
// decimals.
func textValue(v *rules.Variable, x any) string {
	switch y := x.(type) {
	case float64:
		if v.Type == rules.Money {
			return strconv.FormatFloat(y, 'f', 2, 64)
		}
		return strconv.FormatFloat(y, 'f', -1, 64)
	case nil:
		return "null"
	}
	return strings.TrimSpace(fmt.Sprint(x))
}
