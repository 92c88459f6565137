#!/bin/sh
# Runs every libFuzzer target of a fuzz build (cmake -DMG_FUZZ=ON, or
# `cmake --preset fuzz`) for SECONDS each, starting from its stored corpus.
# New inputs go to a scratch directory, never into the source tree; exits
# non-zero when a target crashes, leaving the crashing input beside its log.
#
#   sh tests/fuzz/run.sh BUILD_DIR SECONDS
set -u

usage="usage: sh tests/fuzz/run.sh BUILD_DIR SECONDS"
build=${1:?$usage}
secs=${2:?$usage}
corpus=$(cd "$(dirname "$0")" && pwd)/corpus
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mg-fuzz.XXXXXX") || exit 2
status=0
ran=0

for bin in "$build"/tests/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=$(basename "$bin")
	ran=$((ran + 1))
	mkdir -p "$scratch/$name"
	seeds=
	[ -d "$corpus/$name" ] && seeds="$corpus/$name"
	echo "fuzz $name: ${secs}s"
	# the first directory receives what the run finds; the seeds stay put
	if "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$scratch/$name-" "$scratch/$name" $seeds \
	    >"$scratch/$name.log" 2>&1; then
		echo "fuzz $name: ok, $(ls "$scratch/$name" | wc -l) new inputs in $scratch/$name"
	else
		echo "fuzz $name: FAILED; log $scratch/$name.log, inputs $scratch/$name-*"
		tail -n 30 "$scratch/$name.log"
		status=1
	fi
done

if [ "$ran" -eq 0 ]; then
	echo "no fuzz_* binaries in $build/tests (configure with -DMG_FUZZ=ON)" >&2
	exit 2
fi
echo "to keep new inputs: $build/tests/NAME -merge=1 $corpus/NAME $scratch/NAME"
exit $status
