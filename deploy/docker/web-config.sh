#!/bin/sh
# Writes the web app's run-time configuration, served as /config.json:
#   { "issuer": $OIDC_ISSUER, "clientId": $OIDC_CLIENT_ID, "apiUrl": $API_URL }
# Run by the nginx image's entrypoint before nginx starts; a missing or unsafe value stops
# the container instead of serving a config that signs people in somewhere unexpected.
set -eu

out_dir=${TODO_SSO_CONFIG_DIR:-/tmp/todo-sso}

fail() {
  echo "todo-sso web: $1" >&2
  exit 1
}

# Values go into JSON strings verbatim, so refuse anything that could escape one.
check_value() {
  name=$1
  value=$2
  [ -n "$value" ] || fail "$name must be set"
  case "$value" in
    *'"'* | *'\'* | *'<'* | *'>'* | *' '*) fail "$name contains a character not allowed in a URL or client id" ;;
  esac
  if [ "$(printf '%s' "$value" | tr -d '[:cntrl:]')" != "$value" ]; then
    fail "$name contains a control character"
  fi
}

check_url() {
  name=$1
  value=$2
  check_value "$name" "$value"
  case "$value" in
    http://* | https://*) ;;
    *) fail "$name must be an http(s) URL, got '$value'" ;;
  esac
}

issuer=${OIDC_ISSUER:-}
client_id=${OIDC_CLIENT_ID:-}
api_url=${API_URL:-}
check_url OIDC_ISSUER "$issuer"
check_value OIDC_CLIENT_ID "$client_id"
check_url API_URL "$api_url"

mkdir -p "$out_dir"
printf '{"issuer":"%s","clientId":"%s","apiUrl":"%s"}\n' "$issuer" "$client_id" "$api_url" \
  >"$out_dir/config.json.tmp"
mv "$out_dir/config.json.tmp" "$out_dir/config.json"
echo "todo-sso web: issuer $issuer, client $client_id, API $api_url"
