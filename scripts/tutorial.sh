#!/bin/sh
# The django-oauth-toolkit DRF tutorial's curl session, the requests of the recorded DOT 1.7 run
# (shared/reference, steps 001-028), against a running server: seeded with the admin CLI under
# names unique to this run, each request printed with its answer. Exits 1 if a status differs
# from what DOT 1.7 answered, apart from the differences listed in DIFFERENT below (by design,
# README "The tutorial, against this server"); 2 if the server or the admin CLI fails.
#
#   BASE_URL=http://127.0.0.1:8787 sh scripts/tutorial.sh    # `npm start` in another terminal
#   PERSIST_TO=DIR      the server's local state folder, when not .wrangler/state (wrangler dev --persist-to)
#   REMOTE=1            seed the deployed database (admin --remote), with BASE_URL the deployed Worker
set -eu
cd "$(dirname "$0")/.."
BASE_URL=${BASE_URL:-http://127.0.0.1:8787}
RUN=$(date +%s)$$
# Not derived from $RUN: Django's similarity validator refuses a password that shares the usernames' run number.
PASSWORD="down the rabbit hole"
BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT
failures=0

if ! curl -s -o /dev/null "$BASE_URL/"; then
  echo "no server answers at $BASE_URL: start one with 'npm start' (or set BASE_URL)" >&2
  exit 2
fi

# field NAME JSON: one top-level field of a JSON object (empty when absent, null, or not JSON).
field() {
  printf '%s' "$2" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    let v; try { v = JSON.parse(s)[process.argv[1]] } catch {} process.stdout.write(v == null ? "" : String(v)) })' "$1"
}

# show ARGS…: prints a command line to paste, quoting what the shell would need quoted.
show() {
  line='$'
  for arg in "$@"; do
    case $arg in
      *[!A-Za-z0-9_./:=@%+,-]* | '') line="$line '$arg'" ;;
      *) line="$line $arg" ;;
    esac
  done
  echo "$line"
}

# admin ARGS…: runs the admin CLI with --json; its answer is in $OUT.
admin() {
  show npm run admin -- "$@"
  target=''
  [ "${REMOTE:-}" = 1 ] && target='--remote'
  if ! OUT=$(node_modules/.bin/tsx scripts/admin.ts --json $target ${PERSIST_TO:+--persist-to "$PERSIST_TO"} "$@"); then
    echo "the admin CLI failed" >&2
    exit 2
  fi
  echo "$OUT"
}

# Statuses where this server answers differently from DOT 1.7 on purpose: "step:status:reason".
DIFFERENT='016:200:a refresh may ask for any scope of the original grant (RFC 6749 §6); DOT 1.7 bounds it by the last token'

# step ID STATUS TEXT CURL-ARGS…: runs curl; the answer must have STATUS (DOT 1.7's) and contain TEXT.
# Ends with one line for programs (test/node/tutorial.test.ts): STEP <id> <DOT's status> <status> <ok|by-design|FAIL>.
step() {
  id=$1 want=$2 text=$3
  shift 3
  echo
  echo "[$id] $(show curl "$@" | cut -c3-)"
  status=$(curl -sS -o "$BODY" -w '%{http_code}' "$@") || status=000
  ANSWER=$(cat "$BODY")
  echo "$status $ANSWER"
  reason=$(printf '%s\n' "$DIFFERENT" | sed -n "s/^$id:$status://p")
  if [ -n "$reason" ]; then
    echo "ok, by design: DOT 1.7 answered $want; here $status: $reason"
    verdict=by-design
  elif [ "$status" = "$want" ] && case $ANSWER in *"$text"*) true ;; *) false ;; esac; then
    echo "ok"
    verdict=ok
  else
    echo "FAIL: DOT 1.7 answered $want${text:+ with $text}"
    failures=$((failures + 1))
    verdict=FAIL
  fi
  echo "STEP $id $want $status $verdict"
}

echo "# Seeding (the tutorial's createsuperuser and admin site, as admin CLI commands)"
admin createsuperuser --username "admin-$RUN" --email admin@example.com --password "$PASSWORD"
admin createuser --username "alice-$RUN" --email alice@example.com --first-name Alice --last-name Liddell --password "$PASSWORD"
ALICE_ID=$(field id "$OUT")
admin createuser --username "bob-$RUN" --email bob@example.com --first-name Bob --last-name Builder --password "$PASSWORD"
BOB_ID=$(field id "$OUT")
admin creategroup "staff-$RUN"
admin createapp --name tutorial --client-type confidential --grant-type password
CLIENT_ID=$(field client_id "$OUT") CLIENT_SECRET=$(field client_secret "$OUT")
admin createapp --name service --client-type confidential --grant-type client-credentials
CC_CLIENT_ID=$(field client_id "$OUT") CC_CLIENT_SECRET=$(field client_secret "$OUT")

ALICE="username=alice-$RUN&password=$PASSWORD"
TOKEN="$BASE_URL/o/token/"
DENIED='"detail":"You do not have permission to perform this action."'

echo
echo "# The tutorial's requests"
step 001 200 '"scope":"read write groups"' -X POST -d "grant_type=password&$ALICE" -u "$CLIENT_ID:$CLIENT_SECRET" "$TOKEN"
AT_FULL=$(field access_token "$ANSWER") RT_FULL=$(field refresh_token "$ANSWER")
step 002 200 "\"username\":\"alice-$RUN\"" -H "Authorization: Bearer $AT_FULL" "$BASE_URL/users/"
step 003 200 '"first_name":"Alice","last_name":"Liddell"' -H "Authorization: Bearer $AT_FULL" "$BASE_URL/users/$ALICE_ID/"
step 004 200 '"first_name":"Bob","last_name":"Builder"' -H "Authorization: Bearer $AT_FULL" "$BASE_URL/users/$BOB_ID/"
step 005 200 "{\"name\":\"staff-$RUN\"}" -H "Authorization: Bearer $AT_FULL" "$BASE_URL/groups/"
# The tutorial posts password=bar; Django's password validators refuse it here (DOT's serializer applies none).
step 006 201 "\"username\":\"foo-$RUN\"" -H "Authorization: Bearer $AT_FULL" -X POST -d "username=foo-$RUN&password=bar.baz.qux" "$BASE_URL/users/"
step 007 400 '{"username":["A user with that username already exists."]}' -H "Authorization: Bearer $AT_FULL" -X POST -d "username=foo-$RUN&password=bar.baz.qux" "$BASE_URL/users/"
step 008 400 '"email":["Enter a valid email address."]' -H "Authorization: Bearer $AT_FULL" -X POST -d "username=bad%20name!&email=not-an-email" "$BASE_URL/users/"
step 009 201 "\"username\":\"foojson-$RUN\"" -H "Authorization: Bearer $AT_FULL" -H "Content-Type: application/json" \
  -d "{\"username\":\"foojson-$RUN\",\"email\":\"foojson@example.com\",\"first_name\":\"Foo\",\"last_name\":\"Json\"}" "$BASE_URL/users/"
step 010 200 "\"username\":\"foojson-$RUN\"" -H "Authorization: Bearer $AT_FULL" "$BASE_URL/users/"

echo
echo "# Refresh, with the client credentials in the body; the old tokens stop working"
step 011 200 '"scope":"read write groups"' -X POST -d "grant_type=refresh_token&refresh_token=$RT_FULL&client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET" "$TOKEN"
AT_REFRESHED=$(field access_token "$ANSWER") RT_REFRESHED=$(field refresh_token "$ANSWER")
if [ "$AT_REFRESHED" = "$AT_FULL" ] || [ "$RT_REFRESHED" = "$RT_FULL" ]; then
  echo "FAIL: the refresh returned the same tokens"
  echo "CHECK refresh-rotates FAIL"
  failures=$((failures + 1))
else
  echo "CHECK refresh-rotates ok"
fi
step 012 401 '"detail":"Authentication credentials were not provided."' -H "Authorization: Bearer $AT_FULL" "$BASE_URL/users/"
step 013 200 "\"username\":\"alice-$RUN\"" -H "Authorization: Bearer $AT_REFRESHED" "$BASE_URL/users/$ALICE_ID/"
# 015-017 come before 014 here: replaying a rotated-out refresh token (014) revokes its whole grant
# (RFC 9700 §4.14.2), so afterwards the refreshed token of 015 would be refused too (DOT 1.7 kept it).
step 015 200 '"scope":"read"' -X POST -d "grant_type=refresh_token&refresh_token=$RT_REFRESHED&scope=read" -u "$CLIENT_ID:$CLIENT_SECRET" "$TOKEN"
RT_READ=$(field refresh_token "$ANSWER")
step 016 400 '"error":"invalid_scope"' -X POST -d "grant_type=refresh_token&refresh_token=$RT_READ&scope=read%20write" -u "$CLIENT_ID:$CLIENT_SECRET" "$TOKEN"
RT_LAST=$(field refresh_token "$ANSWER")
# DOT 1.7: invalid_grant. Here: unauthorized_client, since that client may not use refresh tokens at all (RFC 6749 §5.2).
step 017 400 '"error":"' -X POST -d "grant_type=refresh_token&refresh_token=${RT_LAST:-$RT_READ}" -u "$CC_CLIENT_ID:$CC_CLIENT_SECRET" "$TOKEN"
step 014 400 '"error":"invalid_grant"' -X POST -d "grant_type=refresh_token&refresh_token=$RT_FULL&client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET" "$TOKEN"

echo
echo "# Tokens with fewer scopes"
step 018 200 '"scope":"read"' -X POST -d "grant_type=password&$ALICE&scope=read" -u "$CLIENT_ID:$CLIENT_SECRET" "$TOKEN"
AT_READ=$(field access_token "$ANSWER")
step 019 200 "\"username\":\"foojson-$RUN\"" -H "Authorization: Bearer $AT_READ" "$BASE_URL/users/"
step 020 200 "\"username\":\"alice-$RUN\"" -H "Authorization: Bearer $AT_READ" "$BASE_URL/users/$ALICE_ID/"
step 021 403 "$DENIED" -H "Authorization: Bearer $AT_READ" "$BASE_URL/groups/"
step 022 403 "$DENIED" -H "Authorization: Bearer $AT_READ" -X POST -d "username=foo2-$RUN&password=bar" "$BASE_URL/users/"
step 023 200 '"scope":"groups"' -X POST -d "grant_type=password&$ALICE&scope=groups" -u "$CLIENT_ID:$CLIENT_SECRET" "$TOKEN"
AT_GROUPS=$(field access_token "$ANSWER")
step 024 200 "{\"name\":\"staff-$RUN\"}" -H "Authorization: Bearer $AT_GROUPS" "$BASE_URL/groups/"
step 025 403 "$DENIED" -H "Authorization: Bearer $AT_GROUPS" "$BASE_URL/users/"
step 026 200 '"scope":"write"' -X POST -d "grant_type=password&$ALICE&scope=write" -u "$CLIENT_ID:$CLIENT_SECRET" "$TOKEN"
AT_WRITE=$(field access_token "$ANSWER")
step 027 403 "$DENIED" -H "Authorization: Bearer $AT_WRITE" "$BASE_URL/users/"
step 028 201 "\"username\":\"foo3-$RUN\"" -H "Authorization: Bearer $AT_WRITE" -X POST -d "username=foo3-$RUN" "$BASE_URL/users/"

echo
if [ "$failures" -eq 0 ]; then
  echo "All 28 requests answered as django-oauth-toolkit 1.7 did (apart from the differences by design above)."
else
  echo "$failures request(s) answered differently from django-oauth-toolkit 1.7."
  exit 1
fi
