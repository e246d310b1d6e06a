#!/usr/bin/env bash
# Development only: regenerates the newest, not yet landed migration from the current schema.
# Usage: scripts/dev-regen-migration.sh <index> <name>   e.g. scripts/dev-regen-migration.sh 1 features
# Migrations that have landed on main are never edited; this only replaces the one named by <index>.
set -euo pipefail
cd "$(dirname "$0")/.."
idx="${1:?index of the migration to regenerate}"
name="${2:?name of the migration}"
tag=$(printf '%04d' "$idx")
exec 9>/tmp/dsync-migrate.lock
flock 9
rm -f migrations/${tag}_*.sql "migrations/meta/${tag}_snapshot.json"
node -e '
const fs = require("fs");
const file = "migrations/meta/_journal.json";
const journal = JSON.parse(fs.readFileSync(file, "utf8"));
journal.entries = journal.entries.filter((e) => e.idx < Number(process.argv[1]));
fs.writeFileSync(file, JSON.stringify(journal, null, 2) + "\n");
' "$idx"
npx drizzle-kit generate --name "$name"
