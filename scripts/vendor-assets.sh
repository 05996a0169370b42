#!/usr/bin/env bash
# vendor-assets.sh installs the front-end packages pinned in package.json
# (exact versions, from package-lock.json) and copies the files dost uses
# into the tree, where they are committed so that `go build` and `go run`
# never need npm:
#
#   htmx.min.js  -> http/ui/static/vendor/  (served under /static/vendor/)
#   uPlot.iife.min.js, uPlot.min.css -> http/ui/static/vendor/  (the
#                   supervisor dashboard's charts)
#   axe.min.js   -> http/testdata/vendor/   (injected by the browser tests)
#
# Run it from anywhere after changing a version in package.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
mkdir -p http/ui/static/vendor http/testdata/vendor
cp node_modules/htmx.org/dist/htmx.min.js http/ui/static/vendor/htmx.min.js
cp node_modules/uplot/dist/uPlot.iife.min.js http/ui/static/vendor/uPlot.iife.min.js
cp node_modules/uplot/dist/uPlot.min.css http/ui/static/vendor/uPlot.min.css
cp node_modules/axe-core/axe.min.js http/testdata/vendor/axe.min.js
for f in http/ui/static/vendor/htmx.min.js http/ui/static/vendor/uPlot.iife.min.js http/ui/static/vendor/uPlot.min.css http/testdata/vendor/axe.min.js; do
	printf '%s  %s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$f"
done
