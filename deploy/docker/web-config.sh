#!/bin/sh
# Writes the web app's run-time configuration, served as /config.json:
#   { "issuer": $OIDC_ISSUER, "clientId": $OIDC_CLIENT_ID, "apiUrl": $API_URL }
# and the security headers nginx adds to every response (security-headers.conf), with the same
# Content-Security-Policy as packages/web/serve.mjs: scripts and styles from this origin only,
# network requests to this origin, the issuer, the API and $WEB_CONNECT_ORIGINS (a comma list,
# for a provider whose token endpoint is on another origin).
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

# A value as a message repeats it (the line reaches the container's log): without a query or
# fragment (an API key, a token), user information (a password) replaced by '…'.
shown() {
  printf '%s' "$1" | sed -E -e 's/([?#]).*/\1…/' -e 's#^([A-Za-z][A-Za-z0-9+.-]*://)?.*@#\1…@#'
}

check_url() {
  name=$1
  value=$2
  check_value "$name" "$value"
  case "$value" in
    http://* | https://*) ;;
    *) fail "$name must be an http(s) URL, got '$(shown "$value")'" ;;
  esac
  # /config.json and the Content-Security-Policy are sent to every browser: a password in a URL
  # would be published (and fetch refuses a URL with credentials anyway).
  case "$(printf '%s' "$value" | sed -E 's#^[A-Za-z]+://([^/?#]*).*#\1#')" in
    *@*) fail "$name must not contain a user name or password, got '$(shown "$value")'" ;;
  esac
  # A ';' would end the CSP's connect-src and begin a directive the value chooses (CSP 3 §2.2).
  case "$value" in
    *';'*) fail "$name must not contain ';'" ;;
  esac
}

issuer=${OIDC_ISSUER:-}
client_id=${OIDC_CLIENT_ID:-}
api_url=${API_URL:-}
check_url OIDC_ISSUER "$issuer"
check_value OIDC_CLIENT_ID "$client_id"
check_url API_URL "$api_url"

# The origin of an http(s) URL as a browser computes it: scheme and host in lower case, the
# default port dropped, path/query/fragment cut off.
origin() {
  o=$(printf '%s' "$1" | sed -E 's#^([A-Za-z]+://[^/?#]*).*#\1#' | tr '[:upper:]' '[:lower:]')
  case "$o" in
    http://*:80) o=${o%:80} ;;
    https://*:443) o=${o%:443} ;;
  esac
  printf '%s' "$o"
}

# connect-src: 'self', the issuer, the API and the extra origins, each once, in that order.
connect="'self'"
add_connect() {
  case " $connect " in
    *" $1 "*) ;;
    *) connect="$connect $1" ;;
  esac
}
issuer_origin=$(origin "$issuer")
add_connect "$issuer_origin"
add_connect "$(origin "$api_url")"
extra=${WEB_CONNECT_ORIGINS:-}
old_ifs=$IFS
IFS=','
for entry in $extra; do
  entry=$(printf '%s' "$entry" | tr -d ' ')
  [ -n "$entry" ] || continue
  check_url WEB_CONNECT_ORIGINS "$entry"
  add_connect "$(origin "$entry")"
done
IFS=$old_ifs

csp="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src $connect; form-action 'self' $issuer_origin; frame-ancestors 'none'; frame-src 'none'; object-src 'none'; base-uri 'self'; require-trusted-types-for 'script'; trusted-types 'none'"

mkdir -p "$out_dir"
{
  printf 'add_header Content-Security-Policy "%s" always;\n' "$csp"
  printf 'add_header X-Content-Type-Options "nosniff" always;\n'
  printf 'add_header X-Frame-Options "DENY" always;\n'
  printf 'add_header Referrer-Policy "no-referrer" always;\n'
  printf 'add_header Cross-Origin-Opener-Policy "same-origin" always;\n'
  printf 'add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;\n'
} >"$out_dir/security-headers.conf.tmp"
mv "$out_dir/security-headers.conf.tmp" "$out_dir/security-headers.conf"
printf '{"issuer":"%s","clientId":"%s","apiUrl":"%s"}\n' "$issuer" "$client_id" "$api_url" \
  >"$out_dir/config.json.tmp"
mv "$out_dir/config.json.tmp" "$out_dir/config.json"
echo "todo-sso web: issuer $issuer, client $client_id, API $api_url"
