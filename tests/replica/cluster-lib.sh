# cluster-lib.sh - a three-server NATS JetStream cluster on loopback, for
# the replication test and benchmark. Source it, then:
#   cluster_init DIR     ports and configuration under DIR (ports derived
#                        from this shell's pid; a port in use is skipped)
#   cluster_start I      start server I (1..3); cluster_wait I waits for it
#   cluster_kill I       kill -9 server I (by the pid recorded at its start)
#   cluster_stop         stop every server still running (call from a trap)
# Every run has its own ports, cluster name and storage: two clusters that
# share a name and ports join each other.
# shellcheck shell=bash

CLUSTER_PIDS=(0 0 0 0)

port_free() { ! { (exec 3<>"/dev/tcp/127.0.0.1/$1"); } 2>/dev/null; }

cluster_init() {
    CLUSTER_DIR=$1
    command -v nats-server >/dev/null || {
        echo "FAIL: nats-server is not installed (./setup deps installs it)" >&2
        return 1
    }
    local base try
    for try in 0 1 2 3 4 5 6 7; do
        base=$((20000 + (($$ * 7 + try * 997) % 4000) * 10))
        local all_free=1 p
        for p in 1 2 3 11 12 13 21 22 23; do port_free $((base + p)) || all_free=0; done
        [ "$all_free" = 1 ] && break
    done
    CLUSTER_BASE=$base
    CLUSTER_URLS="nats://127.0.0.1:$((base + 1)),nats://127.0.0.1:$((base + 2)),nats://127.0.0.1:$((base + 3))"
    local i routes="nats-route://127.0.0.1:$((base + 21)),nats-route://127.0.0.1:$((base + 22)),nats-route://127.0.0.1:$((base + 23))"
    for i in 1 2 3; do
        mkdir -p "$CLUSTER_DIR/js$i"
        cat >"$CLUSTER_DIR/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:$((base + i))
http: 127.0.0.1:$((base + 10 + i))
max_payload: 8MB
jetstream { store_dir: "$CLUSTER_DIR/js$i" }
cluster {
  name: "setm-test-$$-$base"
  listen: 127.0.0.1:$((base + 20 + i))
  routes: [$routes]
}
CONF
    done
}

cluster_start() {
    nats-server -c "$CLUSTER_DIR/n$1.conf" >>"$CLUSTER_DIR/n$1.log" 2>&1 &
    CLUSTER_PIDS[$1]=$!
    echo "${CLUSTER_PIDS[$1]}" >"$CLUSTER_DIR/n$1.pid"
}

# GET /healthz until it answers 200 (at most 30 s).
cluster_wait() {
    local port=$((CLUSTER_BASE + 10 + $1)) n
    for ((n = 0; n < 300; n++)); do
        if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
            printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3
            if head -1 <&3 | grep -q ' 200'; then exec 3>&-; return 0; fi
            exec 3>&-
        fi
        sleep 0.1
    done
    echo "FAIL: server n$1 not healthy after 30 s; its log:" >&2
    tail -20 "$CLUSTER_DIR/n$1.log" >&2
    return 1
}

cluster_kill() {
    local pid=${CLUSTER_PIDS[$1]}
    [ "$pid" != 0 ] || return 0
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    CLUSTER_PIDS[$1]=0
}

cluster_stop() {
    local i
    for i in 1 2 3; do
        local pid=${CLUSTER_PIDS[$i]}
        [ "$pid" != 0 ] || continue
        kill "$pid" 2>/dev/null
    done
    for i in 1 2 3; do
        local pid=${CLUSTER_PIDS[$i]}
        [ "$pid" != 0 ] || continue
        # a server that ignores TERM for 5 s is killed
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        CLUSTER_PIDS[$i]=0
    done
}
