// Command dost runs the dost server and its maintenance tasks.
//
//	dost serve [--demo]        run the server (embedded SQLite by default)
//	dost worker                run a node that works background jobs, no HTTP
//	dost migrate               bring the database schema up to date
//	dost demo                  load the demo catalogue, centres, staff and population
//	dost gen --persons N       write a synthetic population as CSV (or into the database)
//	dost import KIND FILE      import persons|households|incomes|insurance|disabilities (CSV, XLSX)
//	dost user add --username U  create a staff or registry account
//	dost token create --user U print a new API bearer token for a user
//	dost bench                 measure import, generation and API throughput
//	dost calc FILE|-           compute an OpenFisca-shaped situation with the rules
//	dost rules test|check|run  test, check or run the rule set over the registry
//	dost scan --period M       scan the registry for the newly entitled (jobs or --local)
//	dost payroll prepare|approve|reject|export|reconcile|show  payroll cycles
//	dost audit verify          prove the audit trail's hash chain intact
//
// Every command takes --database / DOST_DATABASE_URL and --data-dir /
// DOST_DATA_DIR; serve also takes --addr / DOST_ADDR.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "dost:", err)
		}
		os.Exit(1)
	}
}

// Run runs the command named by args[0]. It is main without the process:
// tests call it with their own arguments and writers.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve", "worker":
		m := NewMain(stdout, stderr)
		m.Worker = cmd == "worker"
		if err := m.ParseFlags(ctx, rest); err != nil {
			return err
		}
		if err := m.Run(ctx); err != nil {
			m.Close()
			return err
		}
		<-ctx.Done()
		return m.Close()
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "gen":
		return runGen(ctx, rest, stdout, stderr)
	case "import":
		return runImport(ctx, rest, stdout, stderr)
	case "user":
		return runUser(ctx, rest, stdout, stderr)
	case "token":
		return runTokens(ctx, rest, stdout, stderr) // users_access.go
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "calc":
		return runCalc(ctx, rest, os.Stdin, stdout, stderr)
	case "rules":
		return runRules(ctx, rest, stdout, stderr)
	case "scan":
		return runScan(ctx, rest, stdout, stderr)
	case "payroll":
		return runPayroll(ctx, rest, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, stdout, stderr) // audit.go
	case "webhook":
		return runWebhook(ctx, rest, stdout, stderr) // webhook_cmd.go
	case "video":
		return runVideoAdmin(ctx, rest, stdout, stderr) // video_admin.go
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

const usage = `dost — one-stop social-protection centres

Usage:
  dost serve [--demo] [--addr :8080] [--data-dir ./dost-data] [--database URL]
  dost worker [--database URL] [--scan-workers N]
  dost migrate [--database URL]
  dost demo [--persons 2000] [--database URL]
  dost gen --persons N [--seed S] [--out DIR | --into-db]
  dost import persons|households|incomes|insurance|disabilities FILE.csv|FILE.xlsx
  dost user add --username NAME --name "Full name" --role ROLE [--centre CODE ...] [--fin FIN]
  dost user link --username NAME --fin FIN
  dost user link-oidc --user NAME --issuer URL --subject SUB
  dost token create --user NAME [--scope SCOPE ...] [--expires 720h|90d|2027-01-31] [--name NAME]
  dost token list --user NAME | dost token revoke --id ID
  dost user revoke|disable|enable --username NAME
  dost bench [import|gen|api|calc|all] [--persons N] | bench payroll [--payroll-persons N --payroll-awards N]
  dost bench hall [--hall-visitors 5743 --hall-centres 7 --hall-counters 16 --hall-speed X]
  dost bench load [--nodes 1|3 --database URL --reset] [--duration 60s --load-rate 4 --portal-rate 8 --event-rate 1] [--cpuprofile-dir DIR]
  dost calc [--trace] [--format json|text] [--reform FILE ...] FILE|-
  dost rules test [DIR] | rules check [DIR] | rules run --period 2026-11 [--reform FILE ...]
  dost scan --period 2026-11 [--wait] | scan --local [--period 2026-11] [--dry-run]
  dost video kind --centre CODE --kind hall|video | video certify --username NAME --language sign|az|en|ru
  dost video interpreters [--username NAME] | video revoke --id ID
  dost payroll prepare --programme P --period 2026-11 [--wait | --local] --as USER | payroll approve --cycle N --as USER
  dost payroll export --cycle N --out DIR | payroll reconcile --cycle N --file F [--kind pain.002|camt.054]
  dost payroll show --cycle N | payroll reject --cycle N --as USER --reason TEXT
  dost audit verify [--database URL]
  dost webhook add --url URL --events application.decided,payment.paid | webhook list | webhook remove ID

Environment: DOST_ADDR, DOST_DATA_DIR, DOST_DATABASE_URL (postgres://… for PostgreSQL;
default: the SQLite file dost.db in the data directory); DOST_USER_PASSWORD for user add
(staff roles; registry accounts have no password); DOST_SMTP_PASSWORD, DOST_SMS_GATEWAY_TOKEN.
`
