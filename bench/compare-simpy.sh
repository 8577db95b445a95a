#!/usr/bin/env bash
# Compares mdmkit's simulator with SimPy (issue 7).
#
# mdmkit runs issue 7's default scenario (fleetsim -scenario builtin:large;
# fleetsim's own default is the smaller builtin:mid) with the full stack (tenant
# check-ins, virtual devices, store sync against the in-process fakes,
# invariants, metrics); its events/s counts every event popped from its queue
# over the wall time of the whole run. SimPy runs the bare check-in loop of the
# same fleet for the same simulated time: every device a process that wakes
# about every 8 hours (±10%) and does nothing; its events/s counts every wake-up
# (each one a Timeout event SimPy schedules and processes) over the wall time of
# env.run.
#
# Usage: bench/compare-simpy.sh            (100,000 devices, 30 days)
#        DEVICES=10000 DAYS=7 bench/compare-simpy.sh
#
# Installs Debian's python3-simpy3 when SimPy is missing. The last line is
#   events/s mdmkit=N simpy=M ratio=R
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICES="${DEVICES:-100000}"
DAYS="${DAYS:-30}"
PY=/usr/bin/python3 # Debian's python, where python3-simpy3 installs

if ! "$PY" -c 'import simpy' 2>/dev/null; then
	echo "installing python3-simpy3 ..." >&2
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
	$SUDO apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-simpy3 >&2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/fleetsim" ./cmd/fleetsim
echo "mdmkit: fleetsim -q -scenario builtin:large -devices $DEVICES -days $DAYS" >&2
"$tmp/fleetsim" -q -scenario builtin:large -devices "$DEVICES" -days "$DAYS" >"$tmp/mdmkit.txt"
grep -E '^(events|wall time)' "$tmp/mdmkit.txt" >&2
mdmkit="$(sed -n 's/^wall time .*, \([0-9][0-9]*\) events\/s$/\1/p' "$tmp/mdmkit.txt")"
if [ -z "$mdmkit" ]; then
	echo "could not read mdmkit's events/s" >&2
	exit 1
fi

cat >"$tmp/checkins.py" <<'PY'
import random, sys, time
import simpy

devices, days = int(sys.argv[1]), int(sys.argv[2])
STEADY, JITTER = 8 * 3600.0, 0.1
rng = random.Random(1)
events = 0

def device(env):
    global events
    yield env.timeout(rng.uniform(0, STEADY))  # first check-in somewhere in the first interval
    while True:
        events += 1
        yield env.timeout(STEADY * (1 - JITTER) + 2 * JITTER * STEADY * rng.random())

env = simpy.Environment()
for _ in range(devices):
    env.process(device(env))
start = time.perf_counter()
env.run(until=days * 86400.0)
wall = time.perf_counter() - start
print(f"simpy {simpy.__version__}: {events} wake-ups in {wall:.1f}s, {events / wall:.0f} events/s", file=sys.stderr)
print(f"{events / wall:.0f}")
PY
echo "simpy: $DEVICES devices waking about every 8 h for $DAYS days" >&2
simpy="$("$PY" "$tmp/checkins.py" "$DEVICES" "$DAYS")"

ratio="$(awk -v a="$mdmkit" -v b="$simpy" 'BEGIN { printf "%.1f", a / b }')"
echo "events/s mdmkit=$mdmkit simpy=$simpy ratio=$ratio"
