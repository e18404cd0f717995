#!/bin/sh
# Nightly backup: one pg_dump (custom format) into BACKUP_DIR, then delete dumps older than
# BACKUP_KEEP_DAYS. Dumps hold the cases, so they may not outlive the retention rules: erased or
# anonymised data must leave the backups within 30 days (PRIVACY.md), hence the hard limit below.
# Restore: pg_restore --dbname=... --no-owner FILE
set -eu

: "${DATABASE_URL:?DATABASE_URL is not set}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/fluxx}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
MAX_KEEP_DAYS=30

case "$BACKUP_KEEP_DAYS" in
  ''|*[!0-9]*) echo "BACKUP_KEEP_DAYS must be a whole number of days, not '$BACKUP_KEEP_DAYS'" >&2; exit 2 ;;
esac
if [ "$BACKUP_KEEP_DAYS" -lt 1 ] || [ "$BACKUP_KEEP_DAYS" -gt "$MAX_KEEP_DAYS" ]; then
  echo "BACKUP_KEEP_DAYS=$BACKUP_KEEP_DAYS: keep dumps 1 to $MAX_KEEP_DAYS days (retention rules, PRIVACY.md)" >&2
  exit 2
fi

# SQLAlchemy's URL (postgresql+psycopg://...) as libpq understands it (postgresql://...).
url=$(printf '%s' "$DATABASE_URL" | sed 's|^postgresql+[a-z0-9]*://|postgresql://|')
case "$url" in
  postgresql://*|postgres://*) ;;
  *) echo "DATABASE_URL is not a PostgreSQL URL; nothing to dump" >&2; exit 2 ;;
esac

umask 077
mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
target="$BACKUP_DIR/fluxx-$stamp.dump"
# Write under a temporary name: a dump cut short never looks like a good one.
pg_dump --format=custom --no-owner --file="$target.partial" "$url"
mv "$target.partial" "$target"
echo "backup written: $target ($(wc -c < "$target") bytes)"

# Rotation: everything older than BACKUP_KEEP_DAYS days goes, the new dump always stays.
find "$BACKUP_DIR" -maxdepth 1 -type f \( -name 'fluxx-*.dump' -o -name 'fluxx-*.dump.partial' \) \
  -mmin +$((BACKUP_KEEP_DAYS * 1440)) ! -path "$target" -print -delete | sed 's/^/removed: /'
