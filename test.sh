#!/usr/bin/env bash
# Runs every test of OtaConsole and ends with one line: "N passed, N failed, N skipped".
# It installs what the tests need when it is missing, and every server a test uses is started by the
# tests themselves on ports of their own.
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Debian packages the tests use: mosquitto (external-broker tests start their own, on their own port),
# chromium (browser tests drive it through Playwright; Playwright never downloads a browser here), and
# node with npm (the API test that runs Alibaba's own Node.js client, @alicloud/pop-core, and the OpenID Connect
# provider the single sign-on tests sign in with), and postgresql (the engine's tests run a second time on a private
# PostgreSQL server the tests start themselves, as the postgres user, on a port of their own).
need=()
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "test.sh: cannot install ${need[*]} (needs root and apt-get); the tests that use them will fail" >&2
  fi
fi

dotnet tool restore >/dev/null
# Alibaba's RPC client at the version the lock file pins, for the API test that calls the console with it.
popcore=OtaConsole.Tests/Api/PopCore
[ -d "$popcore/node_modules/@alicloud/pop-core" ] || (cd "$popcore" && npm ci --no-audit --no-fund --silent) \
  || echo "test.sh: npm ci in $popcore failed; the pop-core test will fail" >&2
# A real OpenID Connect provider (oidc-provider, OpenID Certified) for the single sign-on tests, at the locked version.
oidc=OtaConsole.Tests/Security/OidcProvider
[ -d "$oidc/node_modules/oidc-provider" ] || (cd "$oidc" && npm ci --no-audit --no-fund --silent) \
  || echo "test.sh: npm ci in $oidc failed; the single sign-on tests will fail" >&2

logs=()
run() { # run LABEL [env...] -- dotnet test arguments
  local log; log=$(mktemp); logs+=("$log")
  echo "== $1"; shift
  env "$@" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}
rc=0
run "every test, on SQLite" dotnet test --project OtaConsole.Tests -c Release || rc=$?
# The engine's rules, the property and restart tests, the store round trip and the API end to end, on PostgreSQL;
# and three console nodes on one PostgreSQL and one mosquitto, one of them killed mid-rollout.
pg=(OTA_TEST_DATABASE=postgres dotnet test --project OtaConsole.Tests -c Release --no-build --)
run "the engine's tests, several nodes and webhooks, on PostgreSQL" "${pg[@]}" --filter-namespace OtaConsole.Tests.Rollout --filter-namespace OtaConsole.Tests.Persistence \
  --filter-namespace OtaConsole.Tests.Cluster --filter-namespace OtaConsole.Tests.Webhooks || rc=$?
run "the API end to end, on PostgreSQL" "${pg[@]}" --filter-class OtaConsole.Tests.Api.ApiEndToEndTests || rc=$?

passed=0; failed=0; skipped=0
# The names and messages of failed tests again, here at the end, where a reader of the last lines sees them.
for log in "${logs[@]}"; do
  grep -E -A12 "^failed " "$log" | head -200
done
for log in "${logs[@]}"; do
  count() { grep -E "^\s+$1:" "$log" | tail -1 | awk '{print $2}'; }
  p=$(count succeeded)
  if [ -z "$p" ]; then
    # No summary: the build or the runner failed before any test ran.
    failed=$((failed + 1)); continue
  fi
  f=$(count failed); k=$(count skipped)
  passed=$((passed + p)); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
  rm -f "$log"
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$failed" -gt 0 ] && [ "$rc" = 0 ]; then rc=1; fi
exit "$rc"
