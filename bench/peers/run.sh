#!/bin/bash
# Scores the corpus test split with Rspamd 3.4 and SpamAssassin 4.0.1 from
# Debian, each Bayes-trained on the training split, network checks off, in
# private instances on 127.0.0.1 that are stopped on exit. See README.md.
#
# usage: bench/peers/run.sh [--every N] [--jobs N] [--keep] [--rspamd-no-bulk] [rspamd|spamassassin|all]
#
# Results (per-message TSV, table, memory, logs of the run) go to
# $MG_PEERS_OUT (default /tmp/mailgate-peers); runs at nice 10.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
OUT=${MG_PEERS_OUT:-/tmp/mailgate-peers}

usage() {
	echo "usage: $0 [--every N] [--jobs N] [--keep] [--rspamd-no-bulk] [rspamd|spamassassin|all]" >&2
	exit 2
}

# Other engineers share the two cores: run (and start the daemons) at nice 10.
[ "$(nice)" -ge 10 ] || exec nice -n 10 "$0" "$@"

ARGS="$*"
every=1 jobs=2 keep=0 tool=all bulk=--bulk
while [ $# -gt 0 ]; do
	case $1 in
	--every) [ $# -ge 2 ] || usage; every=$2; shift 2 ;;
	--jobs | -j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--rspamd-no-bulk) bulk=""; shift ;;
	rspamd | spamassassin | all) tool=$1; shift ;;
	*) usage ;;
	esac
done

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$RUNLOG" >&2; }
loadavg() { log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }

"$HERE/install.sh" >/dev/null
mkdir -p "$OUT"
RUNLOG=$OUT/run.log
log "run.sh $ARGS (every=$every jobs=$jobs tool=$tool rspamd-learn=${bulk:-stock})"
read -r TRAIN TEST < <($PY "$TOP/bench/corpus_split.py" --every "$every")
suffix=""
[ "$every" -eq 1 ] || suffix="-every$every"
log "train $(wc -l <"$TRAIN") messages ($TRAIN), test $(wc -l <"$TEST") ($TEST)"

WORK=$(mktemp -d /tmp/mailgate-peers-run.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ "$keep" -eq 1 ]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port on 127.0.0.1 (tcp, or udp for the DNS sink nobody answers on).
free_port() {
	$PY -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "${1:-tcp}"
}

# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
	local what=$1 t=$2
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		t=$((t - 1))
		[ "$t" -gt 0 ] || { log "$what did not come up"; return 1; }
		sleep 1
	done
}

stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Memory of the daemons over the scoring phase, sampled every 2 s, until
# the process in $MEM_PID is stopped.
watch_mem() {
	local out=$1
	shift
	$PY "$HERE/client.py" mem --watch 2 --out "$out" "$@" </dev/null >/dev/null &
	MEM_PID=$!
	PIDS+=("$MEM_PID")
}

# CPU seconds the daemons spent scoring: with other work on the cores the
# wall clock alone understates what they would do on two idle cores.
cpu_begin() {
	CPU_PIDS=("$@")
	CPU0=$($PY "$HERE/client.py" cpu "${CPU_PIDS[@]}")
}
cpu_end() {
	local c n
	c=$($PY "$HERE/client.py" cpu "${CPU_PIDS[@]}")
	n=$(wc -l <"$TEST")
	c=$(awk -v a="$CPU0" -v b="$c" 'BEGIN { printf "%.1f", b - a }')
	log "$1: daemons used $c CPU s for $n messages:" \
	    "$(awk -v n="$n" -v c="$c" 'BEGIN { printf "%.1f", n / c }') messages per CPU s"
}

table() {
	local name=$1 tsv=$2
	$PY "$HERE/score.py" --format md "$tsv" >"$OUT/$name$suffix.md"
	echo
	echo "== $name ($(wc -l <"$TEST") test messages, --every $every)"
	$PY "$HERE/score.py" "$tsv"
}

# Both normal workers have loaded the compiled Hyperscan database.
hs_loaded() {
	[ "$(grep -c '(normal).*full hyperscan database.*loaded' "$1")" -ge 2 ]
}

run_rspamd() {
	local d=$WORK/rspamd normal ctl rport dns redis_pid rspamd_pid
	mkdir -p "$d/db" "$d/run" "$d/log"
	cp -r "$HERE/rspamd" "$d/conf"
	chown -R _rspamd:_rspamd "$d/db" "$d/run" "$d/log"
	normal=$(free_port) ctl=$(free_port) rport=$(free_port) dns=$(free_port udp)

	redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no \
	    --dir "$d" --logfile "$d/redis.log" &
	redis_pid=$!
	PIDS+=("$redis_pid")
	wait_for redis 30 redis-cli -p "$rport" ping

	rspamd -f -u _rspamd -g _rspamd -c "$d/conf/rspamd.conf" \
	    --var "LOCAL_CONFDIR=$d/conf" --var "DBDIR=$d/db" --var "RUNDIR=$d/run" \
	    --var "LOGDIR=$d/log" --var "NORMAL_PORT=$normal" \
	    --var "CONTROLLER_PORT=$ctl" --var "REDIS_PORT=$rport" \
	    --var "DNS_PORT=$dns" >"$d/rspamd.out" 2>&1 &
	rspamd_pid=$!
	PIDS+=("$rspamd_pid")
	wait_for rspamd 120 rspamc -h "127.0.0.1:$ctl" stat
	log "rspamd $(rspamd --version | head -1 | awk '{print $NF}'): normal :$normal," \
	    "controller :$ctl, redis :$rport"

	# One at a time: the controller is one process anyway, and the order
	# decides which near-duplicates are refused (208), so keep it fixed.
	log "rspamd: learning $(wc -l <"$TRAIN") messages"
	$PY "$HERE/client.py" rspamd-learn $bulk "http://127.0.0.1:$ctl" "$TRAIN" -j 1 \
	    | tee "$OUT/rspamd$suffix.learn"
	redis-cli -p "$rport" info memory | grep -E '^used_memory(_rss)?_human' \
	    | tee -a "$OUT/rspamd$suffix.learn"
	rspamc -h "127.0.0.1:$ctl" stat | grep -i 'messages learned' \
	    | tee -a "$OUT/rspamd$suffix.learn"

	# The scanners compile their Hyperscan databases in the background;
	# score only once both normal workers have loaded them.
	wait_for "rspamd hyperscan" 600 hs_loaded "$d/log/rspamd.log" || true

	loadavg
	log "rspamd: scoring $(wc -l <"$TEST") messages, $jobs at a time"
	watch_mem "$OUT/rspamd$suffix.mem" "rspamd=$rspamd_pid" "redis=$redis_pid"
	cpu_begin "$rspamd_pid" "$redis_pid"
	$PY "$HERE/client.py" rspamd-score "http://127.0.0.1:$normal" "$TEST" \
	    "$OUT/rspamd$suffix.tsv" -j "$jobs"
	cpu_end rspamd
	stop "$MEM_PID"
	loadavg
	log "rspamd: scans that made DNS requests (want 0):" \
	    "$(grep -c 'dns req: [1-9]' "$d/log/rspamd.log" || true)"
	stop "$rspamd_pid"
	stop "$redis_pid"
	cp "$d/log/rspamd.log" "$OUT/rspamd$suffix.log"
	table rspamd "$OUT/rspamd$suffix.tsv"
	cat "$OUT/rspamd$suffix.mem"
}

run_spamassassin() {
	local d=$WORK/sa port spamd_pid sa
	mkdir -p "$d/site" "$d/bayes" "$d/home"
	cp /etc/spamassassin/*.pre /etc/spamassassin/65_debian.cf "$d/site/"
	sed "s|@BAYES_DIR@|$d/bayes|" "$HERE/spamassassin/local.cf" >"$d/site/local.cf"
	sa=(-C /usr/share/spamassassin "--siteconfigpath=$d/site")

	awk -F'\t' '$2 != "ham" { print $1 }' "$TRAIN" >"$d/spam.list"
	awk -F'\t' '$2 == "ham" { print $1 }' "$TRAIN" >"$d/ham.list"
	log "spamassassin $(spamassassin --version | awk '/version/ {print $3; exit}'):" \
	    "learning $(wc -l <"$d/spam.list") spam+phish, $(wc -l <"$d/ham.list") ham"
	local t0=$SECONDS
	{
		sa-learn --local "${sa[@]}" --no-sync --spam -f "$d/spam.list"
		sa-learn --local "${sa[@]}" --no-sync --ham -f "$d/ham.list"
		sa-learn --local "${sa[@]}" --sync
		echo "learning took $((SECONDS - t0)) s"
		sa-learn --local "${sa[@]}" --dump magic | grep -E 'nspam|nham|ntokens'
		du -sh "$d/bayes"
	} 2>&1 | tee "$OUT/spamassassin$suffix.learn"
	chown -R debian-spamd:debian-spamd "$d"

	port=$(free_port)
	spamd --local --nouser-config -u debian-spamd -g debian-spamd -H "$d/home" \
	    "${sa[@]}" -i "127.0.0.1:$port" -A 127.0.0.1 \
	    -m "$jobs" --min-children="$jobs" --min-spare=1 --max-spare="$jobs" \
	    -s "$d/spamd.log" 2>"$d/spamd.err" &
	spamd_pid=$!
	PIDS+=("$spamd_pid")
	wait_for spamd 300 spamc -d 127.0.0.1 -p "$port" -K
	loadavg
	log "spamassassin: scoring $(wc -l <"$TEST") messages, $jobs at a time (spamd :$port)"
	watch_mem "$OUT/spamassassin$suffix.mem" "spamd=$spamd_pid"
	cpu_begin "$spamd_pid"
	$PY "$HERE/client.py" spamc-score "127.0.0.1:$port" "$TEST" \
	    "$OUT/spamassassin$suffix.tsv" -j "$jobs"
	cpu_end spamassassin
	stop "$MEM_PID"
	loadavg
	stop "$spamd_pid"
	cp "$d/spamd.log" "$OUT/spamassassin$suffix.log"
	table spamassassin "$OUT/spamassassin$suffix.tsv"
	cat "$OUT/spamassassin$suffix.mem"
}

case $tool in
rspamd) run_rspamd ;;
spamassassin) run_spamassassin ;;
all) run_rspamd; run_spamassassin ;;
esac
log "results in $OUT"
