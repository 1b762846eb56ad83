#!/usr/bin/env bash
# Regenerates docs/man/botmaster.1 from the CLI's own help, with swift-argument-parser's
# generate-manual plugin. Run it after changing a command, an option or a help text:
# ManPageTests fails while the checked-in page misses a command or an option the CLI has.
# The plugin builds the package in release mode first (minutes on 2 cores the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
output=$(mktemp -d)
trap 'rm -rf "$output"' EXIT
swift package --allow-writing-to-package-directory generate-manual \
    --date "$(date -u +%Y-%m-%d)" --authors "the botmaster developers" --output-directory "$output"
install -m 644 "$output/botmaster.1" docs/man/botmaster.1
echo "docs/man/botmaster.1 regenerated; view it with: man -l docs/man/botmaster.1"
