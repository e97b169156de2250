#!/usr/bin/env bash
# Loads demo data through the HTTP API of a running stack: one venue (40 rows x 50 seats,
# VIP/R/S/A), one concert, three evening performances a month or so from today.
# Does nothing when the catalog already has a concert. Stops at the first non-2xx answer.
#
# Needs the admin's password: FT_ADMIN_PASSWORD, or .state/secrets/admin-password.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
FT_COMPONENT=demo

BASE="${FT_API_BASE:-http://127.0.0.1:$FT_HTTP_PORT}"
if [[ -z ${FT_ADMIN_PASSWORD:-} ]]; then
  [[ -s $FT_SECRETS_DIR/admin-password ]] || ft_die "no admin password: set FT_ADMIN_PASSWORD or run stack.sh up"
  FT_ADMIN_PASSWORD=$(<"$FT_SECRETS_DIR/admin-password")
fi

body=$(mktemp)
trap 'rm -f "$body"' EXIT
TOKEN=""

# api METHOD PATH [JSON]: prints the answer's body; dies on a non-2xx answer.
api() {
  local method=$1 path=$2 data=${3:-} code
  local args=(-sS -o "$body" -w '%{http_code}' -X "$method" --max-time 30
    -H 'Accept: application/json')
  [[ -n $TOKEN ]] && args+=(-H "Authorization: Bearer $TOKEN")
  [[ -n $data ]] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  code=$(curl "${args[@]}" "$BASE$path") || ft_die "$method $path: no answer from $BASE (is the stack up? log: $FT_LOG_DIR/ingress.log)"
  if [[ $code != 2?? ]]; then
    ft_die "$method $path answered HTTP $code: $(head -c 2000 "$body")"
  fi
  cat "$body"
}

# json EXPR: evaluates a Python expression over the JSON document on stdin (bound to `d`).
# Quiet when stdin is empty: api already said what went wrong.
json() {
  python3 -c '
import json, sys
text = sys.stdin.read()
if not text:
    sys.exit(1)
try:
    d = json.loads(text)
    print(eval(sys.argv[1]))
except Exception as e:
    sys.exit("[demo] ERROR: unexpected answer (%s): %s" % (e, text[:500]))
' "$1"
}

login=$(python3 -c 'import json, sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2]}))' \
  "$FT_ADMIN_EMAIL" "$FT_ADMIN_PASSWORD")
TOKEN=$(api POST /api/v1/users/login "$login" | json 'd["accessToken"]')

total=$(api GET '/api/v1/concerts?page=0&size=1' | json 'd["total"]')
if ((total > 0)); then
  ft_log "the catalog already has $total concert(s); nothing to load"
  exit 0
fi

# 40 rows of 50 seats, front to back: 5 VIP, 10 R, 12 S, 13 A.
venue=$(python3 - <<'PY'
import json
rows = []
for grade, count, price in (("VIP", 5, 165000), ("R", 10, 132000), ("S", 12, 99000), ("A", 13, 77000)):
    rows += [{"seats": 50, "grade": grade, "price": price}] * count
print(json.dumps({"name": "Olympic Hall (demo)", "rows": rows}))
PY
)
venue_id=$(api POST /api/v1/venues "$venue" | json 'd["id"]')
ft_log "venue $venue_id: 40 rows x 50 seats"

concert_id=$(api POST /api/v1/concerts '{"title": "Fair Ticket Live 2026", "artist": "The Queue Jumpers", "description": "Demo concert loaded by deploy/local/demo.sh."}' |
  json 'd["id"]')
ft_log "concert $concert_id"

# Three evenings four to five weeks from today, 19:00 in Seoul.
for days in 30 31 37; do
  starts=$(date -d "+$days days" +%Y-%m-%dT19:00:00+09:00)
  schedule=$(printf '{"venueId": %s, "startsAt": "%s"}' "$venue_id" "$starts")
  schedule_id=$(api POST "/api/v1/concerts/$concert_id/schedules" "$schedule" | json 'd["id"]')
  ft_log "schedule $schedule_id at $starts"
done
ft_log "demo loaded: curl $BASE/api/v1/concerts/$concert_id"
