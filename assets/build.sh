#!/bin/sh
# Rebuild static/css/sandbox.css (and refresh static/js/govuk-frontend.min.js)
# from assets/scss/sandbox.scss. Needs node + npm and the npm registry.
# node_modules go into a throwaway temp dir; nothing is installed in the repo.
#
#   sh assets/build.sh
#
# Versions can be overridden from the environment, but the committed CSS is
# built with the pins below (see assets/README.md before changing them).
set -eu

SASS_VERSION="${SASS_VERSION:-1.108.2}"
GOVUK_FRONTEND_VERSION="${GOVUK_FRONTEND_VERSION:-6.3.0}"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/sandbox-assets.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "Installing sass@$SASS_VERSION govuk-frontend@$GOVUK_FRONTEND_VERSION into $TMP"
npm install --prefix "$TMP" --no-audit --no-fund --ignore-scripts --loglevel=error \
  "sass@$SASS_VERSION" "govuk-frontend@$GOVUK_FRONTEND_VERSION"

GF="$TMP/node_modules/govuk-frontend/dist"
OUT="$ROOT/static/css/sandbox.css"
mkdir -p "$ROOT/static/css" "$ROOT/static/js"

"$TMP/node_modules/.bin/sass" \
  --style=compressed --no-source-map --no-error-css \
  --load-path="$GF" \
  "$ROOT/assets/scss/sandbox.scss" "$OUT"

cp "$GF/govuk/govuk-frontend.min.js" "$ROOT/static/js/govuk-frontend.min.js"

# Guard: nothing restricted to GOV.UK may end up in the CSS.
fail=0
if grep -q "GDS Transport" "$OUT"; then echo "ERROR: GDS Transport in $OUT" >&2; fail=1; fi
if grep -q "@font-face" "$OUT"; then echo "ERROR: @font-face in $OUT" >&2; fail=1; fi
if grep -Eiq "url\([^)]*(fonts/|crest|crown|govuk-icon|govuk-opengraph)" "$OUT"; then
  echo "ERROR: restricted url() in $OUT" >&2; fail=1
fi
[ "$fail" -eq 0 ] || exit 1

echo "Wrote $OUT ($(wc -c < "$OUT") bytes) with sass $("$TMP/node_modules/.bin/sass" --version)"
