# dost: tests, benchmarks and the fault campaigns, reproducible by one command each.
#
#   make test            the README's test command (go test ./...); PostgreSQL too when
#                        DOST_TEST_POSTGRES_URL is set (make test-postgres sets it)
#   make bench           every benchmark of BENCHMARKS.md's summary, output into
#                        bench-results/<UTC date and time>.txt (git-ignored)
#   make bench-<issue>   one issue's benchmarks: bench-foundation (2), bench-rules (3),
#                        bench-events (4), bench-nodes (4, PostgreSQL), bench-hall (5),
#                        bench-payroll (6), bench-audit (7), bench-load (8)
#   make fuzz            every fuzz target for FUZZTIME (default 5m) each: scripts/fuzz-all
#                        (FUZZ=regexp: only the targets it matches)
#   make crash           the crash-safety harness (SIGKILL under load, at least 20 kills a run)
#   make load            the load generator's day in the network, 1 and 3 nodes
#
# Sizes are variables, small enough by default for `make bench` to finish in about half an
# hour on 2 cores; the issues' full sizes are one override away, e.g.
#   make bench-rules bench-events PERSONS=10000000     (the 10 M registry: 20 min to generate)
#   make bench-payroll PAYROLL_PERSONS=1300000 PAYROLL_AWARDS=1000000   (the 1 M cycle)
# Measure on a quiet machine: the load average is printed before every step.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

export GOTOOLCHAIN ?= go1.26.11
GO ?= go

# Working files: binaries, generated registries, payroll fixtures (tmp/ is git-ignored).
BENCH_DIR ?= tmp/bench
DOST := $(BENCH_DIR)/dost
RESULTS_DIR ?= bench-results
RESULTS_DATE := $(shell date -u +%Y-%m-%dT%H%MZ)
RESULTS ?= $(RESULTS_DIR)/$(RESULTS_DATE).txt

# The PostgreSQL server of the tests and the PostgreSQL benchmarks.
PG_URL ?= postgres://postgres@127.0.0.1:5432
PG_TEST_URL ?= $(PG_URL)/test?sslmode=disable

# Issue 2: persons generated to CSV, imported, and in the API run's registry.
GEN_PERSONS ?= 10000000
IMPORT_PERSONS ?= 1000000
API_PERSONS ?= 100000
API_DURATION ?= 15s
API_CONNECTIONS ?= 16
# Issues 3 and 4: the registry the rules run and the population scan read (generated once,
# kept in $(BENCH_DIR)/registry-$(PERSONS)); the issues' target size is 10000000.
PERSONS ?= 1000000
PERIOD ?= 2026-11
REGISTRY := $(BENCH_DIR)/registry-$(PERSONS)
# Issue 4: three nodes against one on PostgreSQL (database dost_bench_nodes_<persons>).
NODES_PERSONS ?= 300000
NODES_SHARD_SIZE ?= 10000
NODES_DB := dost_bench_nodes_$(NODES_PERSONS)
# Issue 6: the payroll fixture (the target is 1 M payments: 1300000 persons, 1000000 awards).
PAYROLL_PERSONS ?= 260000
PAYROLL_AWARDS ?= 200000
PAYROLL_DIR := $(BENCH_DIR)/payroll-$(PAYROLL_AWARDS)
# Issue 8: the crash harness and the load generator (placeholders: see their targets).
CRASH_KILLS ?= 20
LOAD_RATE ?= 20
PORTAL_RATE ?= 30
EVENT_RATE ?= 2
LOAD_DURATION ?= 60s
LOAD_RUN = --duration $(LOAD_DURATION) --load-rate $(LOAD_RATE) --portal-rate $(PORTAL_RATE) --event-rate $(EVENT_RATE)
LOAD_FLAGS ?=

# The Go benchmarks that have a PostgreSQL variant run it when the server answers (or when
# DOST_TEST_POSTGRES_URL is set already).
BENCH_PG_URL = $(if $(shell psql '$(PG_URL)/postgres' -tAc 'SELECT 1' 2>/dev/null),$(PG_TEST_URL))
bench-foundation bench-hall bench-audit: export DOST_TEST_POSTGRES_URL ?= $(BENCH_PG_URL)

# load prints the load average: every measurement is read against it.
load = echo "load average: $$(cut -d' ' -f1-3 /proc/loadavg)"

.PHONY: help test test-postgres fuzz crash load bench bench-all bench-foundation bench-rules \
	bench-events bench-nodes bench-hall bench-payroll bench-audit bench-load bench-machine dost

help:
	@sed -n '1,19p' Makefile | sed -E 's/^# ?//'

## Tests and campaigns

test:
	$(GO) test ./...

test-postgres:
	DOST_TEST_POSTGRES_URL='$(PG_TEST_URL)' $(GO) test ./...

fuzz:
	scripts/fuzz-all $(FUZZ)

# crash runs the fault campaign of RELIABILITY.md (internal/crashtest): TestCrash kills the node
# $(CRASH_KILLS) times per database (SQLite, and PostgreSQL at PG_TEST_URL), TestDiskFull fills a
# small tmpfs under SQLite (root only), TestDatabaseAway cuts PostgreSQL away behind a proxy.
crash:
	DOST_CRASH_KILLS=$(CRASH_KILLS) DOST_TEST_POSTGRES_URL='$(PG_TEST_URL)' \
		$(GO) test -count=1 -timeout 60m -v -run 'TestCrash|TestDiskFull|TestDatabaseAway' ./internal/crashtest

# load runs `dost bench load` (loadgen/, BENCHMARKS.md "Issue 8"): the day's mix at LOAD_RATE
# visits/s, PORTAL_RATE portal reads/s and EVENT_RATE events/s for LOAD_DURATION, with a payroll
# prepared and approved meanwhile; one node on SQLite, then one and three nodes on PostgreSQL
# (database dost_bench_load, emptied first), each with its nodes' CPU profiles and report under
# $(BENCH_DIR)/load-*. LOAD_FLAGS are added to every run.
load: dost
	$(load)
	$(DOST) bench load $(LOAD_RUN) --cpuprofile-dir $(BENCH_DIR)/load-sqlite-1 --report $(BENCH_DIR)/load-sqlite-1.md $(LOAD_FLAGS)
	if psql '$(PG_URL)/postgres' -tAc 'SELECT 1' >/dev/null 2>&1; then
		psql '$(PG_URL)/postgres' -tAc "SELECT 1 FROM pg_database WHERE datname = 'dost_bench_load'" | grep -q 1 \
			|| psql '$(PG_URL)/postgres' -qc 'CREATE DATABASE dost_bench_load'
		$(load)
		$(DOST) bench load $(LOAD_RUN) --database '$(PG_URL)/dost_bench_load?sslmode=disable' --reset --nodes 1 \
			--cpuprofile-dir $(BENCH_DIR)/load-pg-1 --report $(BENCH_DIR)/load-pg-1.md $(LOAD_FLAGS)
		$(load)
		$(DOST) bench load $(LOAD_RUN) --database '$(PG_URL)/dost_bench_load?sslmode=disable' --reset --nodes 3 \
			--cpuprofile-dir $(BENCH_DIR)/load-pg-3 --report $(BENCH_DIR)/load-pg-3.md $(LOAD_FLAGS)
	fi

## Benchmarks

# bench runs every bench-* target (continuing past a failed one) into one dated file.
bench:
	@mkdir -p $(RESULTS_DIR)
	echo "writing $(RESULTS)"
	status=0
	$(MAKE) --no-print-directory -k bench-all 2>&1 | tee '$(RESULTS)' || status=$$?
	echo "results in $(RESULTS) (make exit status $$status)"
	exit $$status

bench-all: bench-machine bench-foundation bench-rules bench-events bench-nodes bench-hall \
	bench-payroll bench-audit bench-load

# bench-machine describes the machine, the toolchain and the tree measured.
bench-machine:
	@echo "# dost benchmarks, $$(date -u '+%F %T UTC')"
	echo "commit: $$(git describe --always --dirty 2>/dev/null || echo unknown)"
	echo "machine: $$(nproc) CPUs ($$(lscpu | sed -n 's/^Model name: *//p' | head -n1)), $$(free -g | awk '/^Mem:/ {print $$2}') GB memory, $$(uname -sr)"
	echo "go: $$($(GO) version)"
	echo "postgresql: $$(psql '$(PG_URL)/postgres' -tAc 'SHOW server_version' 2>/dev/null || echo 'not reachable at $(PG_URL)')"
	$(load)

dost:
	mkdir -p $(BENCH_DIR)
	$(GO) build -o $(DOST) ./cmd/dost

# Issue 2: import 1 M persons < 60 s; GET /api/v1/persons/{fin} ≥ 5,000 req/s with p99 < 10 ms;
# 10 M persons to CSV < 2 min.
bench-foundation: dost
	echo "## issue 2: foundation"
	$(load)
	$(DOST) bench gen --persons $(GEN_PERSONS)
	$(load)
	$(DOST) bench import --persons $(IMPORT_PERSONS)
	$(load)
	$(DOST) bench api --api-persons $(API_PERSONS) --duration $(API_DURATION) --connections $(API_CONNECTIONS)
	$(load)
	$(GO) test -run '^$$' -bench 'ImportPersons' -benchtime 3x ./sqlstore/
	$(GO) test -run '^$$' -bench 'ParsePersonsCSV' -benchtime 2x ./importer/
	$(GO) test -run '^$$' -bench 'PersonGet' ./http/
	$(GO) test -run '^$$' -bench 'WriteCSV' -benchtime 2x ./synth/

# $(REGISTRY)/dost.db: a generated registry with the shipped catalogue (the scan needs its
# services), made once per size and kept.
$(REGISTRY)/dost.db: | dost
	rm -rf $(REGISTRY).tmp
	$(load)
	/usr/bin/time -o $(REGISTRY).time -f 'gen: %e s wall, %U s user, %S s sys, peak RSS %M KB' \
		$(DOST) gen --persons $(PERSONS) --into-db --data-dir $(REGISTRY).tmp 2>/dev/null
	cat $(REGISTRY).time
	DOST_LOG_LEVEL=warn $(DOST) demo --persons -1 --data-dir $(REGISTRY).tmp >/dev/null
	mv $(REGISTRY).tmp $(REGISTRY)

# Issue 3: the whole Azerbaijani rule set ≤ 10 ns per person per formula; one household traced
# p50 < 20 µs; POST /api/v1/calculate ≥ 10,000 req/s; dost rules run over 10 M persons < 2 min.
bench-rules: dost $(REGISTRY)/dost.db
	echo "## issue 3: rules"
	$(load)
	$(GO) test -run '^$$' -bench 'WholeRuleSet' -benchtime 3x ./programmes/az/
	$(load)
	$(GO) test -run '^$$' -bench 'Household' -benchtime 1s -benchmem ./programmes/az/
	$(load)
	$(DOST) bench calc --duration $(API_DURATION) --connections $(API_CONNECTIONS)
	$(GO) test -run '^$$' -bench 'BenchmarkCalculateHTTP' -benchtime 2s ./http/
	$(load)
	/usr/bin/time -f 'rules run: %e s wall, %U s user, %S s sys, peak RSS %M KB' \
		$(DOST) rules run --quiet --period $(PERIOD) --data-dir $(REGISTRY)

# Issue 4: a birth event to an award and a queued SMS, p99 < 50 ms (SQLite); the population
# scan finds the newly entitled among 10 M in < 3 min.
bench-events: dost $(REGISTRY)/dost.db
	echo "## issue 4: events and the population scan"
	$(load)
	$(GO) test -run '^$$' -bench 'BenchmarkEventBirth' -benchtime 1000x -count 3 ./http/
	$(GO) test -run '^$$' -bench 'AssignProactively' -benchtime 2000x -benchmem ./casework/
	$(load)
	/usr/bin/time -f 'scan: %e s wall, %U s user, %S s sys, peak RSS %M KB' \
		$(DOST) scan --local --dry-run --quiet --period $(PERIOD) --data-dir $(REGISTRY)

# Issue 4: the same scan on PostgreSQL, three `dost worker` nodes sharing the shards against
# one. The registry is generated into $(NODES_DB) and scanned once (awarding everyone newly
# entitled) the first time; then steady-state scans are enqueued and waited for, twice per
# node count, with the workers as full nodes and held to one CPU and one scan worker each.
bench-nodes: dost
	echo "## issue 4: three nodes against one (PostgreSQL)"
	if ! psql '$(PG_URL)/postgres' -tAc 'SELECT 1' >/dev/null 2>&1; then
		echo "bench-nodes: PostgreSQL not reachable at $(PG_URL); skipped"; exit 0
	fi
	url='$(PG_URL)/$(NODES_DB)?sslmode=disable'
	pids=()
	stop() { for p in "$${pids[@]}"; do kill "$$p" 2>/dev/null || true; done; wait "$${pids[@]}" 2>/dev/null || true; pids=(); }
	trap stop EXIT
	start() { # start N [GOMAXPROCS [worker flags]]: N worker nodes
		local n=$$1 procs=$${2:-}; shift; shift || true
		for i in $$(seq 1 $$n); do
			env $${procs:+GOMAXPROCS=$$procs} $(DOST) worker --database "$$url" --data-dir $(BENCH_DIR)/worker-data --scan-shard-size $(NODES_SHARD_SIZE) "$$@" \
				>$(BENCH_DIR)/worker-$$i.log 2>&1 &
			pids+=($$!)
		done
		sleep 2
	}
	scan() { /usr/bin/time -f "$$1: %e s wall" $(DOST) scan --database "$$url" --period $(PERIOD) --wait --quiet; }
	if ! psql '$(PG_URL)/postgres' -tAc "SELECT 1 FROM pg_database WHERE datname = '$(NODES_DB)'" | grep -q 1; then
		psql '$(PG_URL)/postgres' -qc 'DROP DATABASE IF EXISTS $(NODES_DB)_tmp' -c 'CREATE DATABASE $(NODES_DB)_tmp'
		tmpurl='$(PG_URL)/$(NODES_DB)_tmp?sslmode=disable'
		$(DOST) migrate --database "$$tmpurl"
		$(DOST) gen --persons $(NODES_PERSONS) --into-db --database "$$tmpurl" 2>/dev/null
		DOST_LOG_LEVEL=warn $(DOST) demo --persons -1 --database "$$tmpurl" >/dev/null
		psql '$(PG_URL)/postgres' -qc 'ALTER DATABASE $(NODES_DB)_tmp RENAME TO $(NODES_DB)'
		start 1
		scan "first scan, 1 node (awards everyone newly entitled)"
		stop
	fi
	for procs in "" 1; do
		for n in 1 3; do
			$(load)
			if [[ -n $$procs ]]; then
				start $$n 1 --scan-workers 1; how="$$n node(s), each GOMAXPROCS=1 --scan-workers 1"
			else
				start $$n; how="$$n node(s)"
			fi
			scan "$$how, run 1"
			scan "$$how, run 2"
			stop
		done
	done

# Issue 5: call-next p99 < 10 ms with 100 operators at once (SQLite); 1,000 board connections
# served a call within 1 s; the record day (5,743 visitors, 7 centres) replayed in < 10 s.
bench-hall: dost
	echo "## issue 5: centre hall"
	$(GO) test -c -o $(BENCH_DIR)/sqlstore.test ./sqlstore/
	$(load)
	$(BENCH_DIR)/sqlstore.test -test.run '^$$' -test.bench 'BenchmarkCallNextBurst' -test.benchtime 30x -test.count 3
	$(load)
	$(BENCH_DIR)/sqlstore.test -test.run '^$$' -test.bench 'BenchmarkCallNext$$' -test.benchtime 3000x
	$(BENCH_DIR)/sqlstore.test -test.run '^$$' -test.bench 'QueueKPIs_BusyDay' -test.benchtime 50x -test.count 5 -test.benchmem
	$(load)
	$(GO) test -run '^$$' -bench 'BenchmarkBoardFanout' -benchtime 20x ./http/
	$(GO) test -run '^$$' -bench 'Choose500|Estimate500' ./queue/
	$(GO) test -run '^$$' -bench 'BenchmarkEstimate' -benchtime 500x ./hall/
	$(load)
	$(DOST) bench hall

# Issue 6: prepare a cycle of 1 M payments < 30 s, export its pain.001 < 20 s, peak memory
# < 200 MB; reconcile a 1 M-entry status file < 30 s. The fixture (registry and awards) is kept
# in $(PAYROLL_DIR) and reused; each run prepares and approves a fresh cycle, then exports and
# reconciles it in processes of their own.
bench-payroll: dost
	echo "## issue 6: payroll"
	mkdir -p $(PAYROLL_DIR)
	$(load)
	$(DOST) bench payroll --payroll-persons $(PAYROLL_PERSONS) --payroll-awards $(PAYROLL_AWARDS) \
		--payroll-keep $(PAYROLL_DIR) | tee $(PAYROLL_DIR)/bench.txt
	cycle=$$(sed -nE 's/^  cycle ([0-9]+) approved.*/\1/p' $(PAYROLL_DIR)/bench.txt)
	rm -rf $(PAYROLL_DIR)/export
	$(load)
	/usr/bin/time -f 'export: %e s wall, %U s user, %S s sys, peak RSS %M KB' \
		$(DOST) payroll export --database $(PAYROLL_DIR)/payroll.db --cycle $$cycle --out $(PAYROLL_DIR)/export
	$(load)
	/usr/bin/time -f 'reconcile: %e s wall, %U s user, %S s sys, peak RSS %M KB' \
		$(DOST) payroll reconcile --database $(PAYROLL_DIR)/payroll.db --cycle $$cycle --file $(PAYROLL_DIR)/camt054.xml
	$(GO) test -run '^$$' -bench . -benchtime 1x ./iso20022/

# Issue 7: the audit trail's appends and an audited read (SQLite, and PostgreSQL).
bench-audit:
	echo "## issue 7: audit trail"
	$(load)
	$(GO) test -run '^$$' -bench 'BenchmarkAuditRecord' -benchtime 2s ./sqlstore/
	$(GO) test -run '^$$' -bench 'BenchmarkAuditedRead' -benchtime 2s ./http/

# Issue 8: the day in the network under load, 1 and 3 nodes (the load helper's; see `make load`).
bench-load: load
