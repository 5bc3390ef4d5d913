#!/usr/bin/env bash
# `npm run test:conformance`: the official MCP conformance suite's authorization scenarios against
# the mcp-auth CLI (its hidden `conformance` command logs in non-interactively). The suite brings
# its own authorization and MCP servers, so this checks the client against an independent
# implementation. MCP_CONFORMANCE names the suite's runner (it needs Node 22 and installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
runner=${MCP_CONFORMANCE:-../shared/tools/mcp-conformance}
if [ ! -x "$runner" ]; then
  echo "conformance: no runner at $runner (set MCP_CONFORMANCE)" >&2
  exit 1
fi
exec "$runner" client --command "node $PWD/client/bin/mcp-auth.js conformance" --suite auth
