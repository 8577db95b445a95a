#!/usr/bin/env bash
# Runs every mdmkit benchmark and comparison; the figures of bench/RESULTS.md
# come from it. Installs what the comparisons need (Debian's python3-simpy3 for
# bench/compare-simpy.sh, GNU time for peak memory) when it is missing.
#
# Usage: bench/run.sh                 everything but the 1,000,000-device run (about 10 min on 2 cores)
#        MILLION=1 bench/run.sh       also 1,000,000 devices for 7 days (about 3 min more, 5 GiB of memory)
#        COUNT=5 bench/run.sh         each go benchmark 5 times (default 3)
#
# Run it on a quiet machine: figures taken while other work runs are slower by
# up to the load average. It prints the machine first and tees everything to
# bench/out/run-DATE.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT="${COUNT:-3}"
mkdir -p bench/out
log="bench/out/run-$(date -u +%Y%m%dT%H%M%SZ).txt"
exec > >(tee "$log") 2>&1

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ! -x /usr/bin/time ]; then
	echo "installing GNU time ..."
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time
fi

step() { printf '\n== %s\n' "$*"; }

step "machine"
go version
git rev-parse --short HEAD 2>/dev/null || true
grep -m1 'model name' /proc/cpuinfo || true
echo "cores: $(nproc)   memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
uptime

step "go benchmarks (count $COUNT)"
# bench/fleet runs the whole default scenario per op (and the same fleet with
# nothing to manage, BareScenario); it is the slowest, so it runs once below
# rather than COUNT times here.
go test -run '^$' -bench . -benchmem -count "$COUNT" \
	./bench/resolve ./bench/license ./bench/checkin ./bench/reconcile ./bench/eventq \
	./device ./sim/eventq ./storesync/applefake
go test -run '^$' -bench 'DefaultScenario|BareScenario' -benchmem -benchtime 1x ./bench/fleet

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/fleetsim" ./cmd/fleetsim

step "fleetsim -scenario builtin:mid (the default run)"
/usr/bin/time -f 'wall %e s, user %U s, peak RSS %M kB' "$tmp/fleetsim" -q | sed -n '/^events/,$p'

step "fleetsim -scenario builtin:large (issue 7's default scenario: 100,000 devices, 30 days)"
/usr/bin/time -f 'wall %e s, user %U s, peak RSS %M kB' "$tmp/fleetsim" -q -scenario builtin:large | sed -n '/^events/,$p'

if [ "${MILLION:-0}" = 1 ]; then
	step "fleetsim -scenario builtin:large -devices 1000000 -days 7"
	/usr/bin/time -f 'wall %e s, user %U s, peak RSS %M kB' \
		"$tmp/fleetsim" -q -scenario builtin:large -devices 1000000 -days 7 | sed -n '/^events/,$p'
fi

step "bench/compare-simpy.sh (100,000 devices, 30 days)"
bench/compare-simpy.sh

step "done: $log"
