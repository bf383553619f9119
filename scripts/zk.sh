#!/usr/bin/env bash
# Starts and stops ZooKeeper servers (Debian's `zookeeper`) on loopback, without systemd.
#
#   zk.sh standalone NAME PORT     one server on 127.0.0.1:PORT
#   zk.sh ensemble   NAME PORT     three servers on 127.0.0.1:PORT, PORT+1, PORT+2
#   zk.sh stop       NAME          stop every server of NAME (SIGTERM, then SIGKILL)
#   zk.sh kill       NAME [N]      SIGKILL server N (default 1) of NAME, as a crash would
#   zk.sh start      NAME [N]      start server N (default 1) of NAME again with its data, wait until it serves
#   zk.sh status     NAME          print each server's mode
#
# ATLANTIS_ADDRESS: the loopback address to serve on (default 127.0.0.1; a second region of a
# dev cluster uses 127.0.0.2). Data and logs live under $ATLANTIS_RUN/zk-NAME (default: ./run). Waits until each server
# answers the `srvr` four-letter word with a Mode line.
set -euo pipefail
ADDR=${ATLANTIS_ADDRESS:-127.0.0.1}
cmd=${1:?usage: zk.sh standalone|ensemble|stop|kill|start|status NAME [PORT|N]}
name=${2:?NAME missing}
run=${ATLANTIS_RUN:-$(cd "$(dirname "$0")/.." && pwd)/run}
base=$run/zk-$name
CP=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar

mode_of() { # port
  timeout 2 bash -c "exec 3<>/dev/tcp/$ADDR/$1 && printf srvr >&3 && cat <&3" 2>/dev/null | sed -n 's/^Mode: //p'
}

answers() { # port: something accepts TCP connections there
  timeout 1 bash -c "exec 3<>/dev/tcp/$ADDR/$1" 2>/dev/null
}

wait_serving() { # id port seconds
  local dir=$base/$1 deadline=$((SECONDS + $3))
  until [ -n "$(mode_of "$2")" ]; do
    if ! kill -0 "$(cat "$dir/pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      echo "zk.sh: ZooKeeper $name server $1 ($ADDR:$2) exited while starting; see $dir/zk.log" >&2
      rm -f "$dir/pid"
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "zk.sh: ZooKeeper on $ADDR:$2 did not start serving in $3 s; see $dir/zk.log" >&2
      return 1
    fi
    sleep 0.1
  done
}

configure() { # id port peers...
  local id=$1 port=$2 dir=$base/$1
  shift 2
  mkdir -p "$dir/data"
  {
    echo "tickTime=2000"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$dir/data"
    echo "clientPort=$port"
    echo "clientPortAddress=$ADDR"
    echo "maxClientCnxns=0"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=*"
    echo "minSessionTimeout=1000"
    for peer in "$@"; do echo "$peer"; done
  } >"$dir/zoo.cfg"
  echo "$port" >"$dir/port"
  [ $# -gt 0 ] && echo "$id" >"$dir/data/myid"
  cat >"$dir/log4j.properties" <<LOG
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=$dir/zk.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{1} - %m%n
LOG
}

running() { # id
  [ -f "$base/$1/pid" ] && kill -0 "$(cat "$base/$1/pid")" 2>/dev/null
}

refuse_taken() { # id
  local dir=$base/$1
  running "$1" && return 0
  # Not ours, yet something answers there: waiting for "a server" on the port would take it for ours.
  local port
  port=$(cat "$dir/port")
  if answers "$port"; then
    echo "zk.sh: $ADDR:$port already answers, but no server of $name runs (no live pid in $dir/pid);" \
      "stop what listens there (ss -ltnp 'sport = :$port' names it) or choose another port" >&2
    exit 1
  fi
}

launch() { # id
  local dir=$base/$1
  running "$1" && return 0
  refuse_taken "$1"
  (
    # The server must not keep the caller's pipes open (a caller reading to EOF would hang).
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
    done
    exec java -Xmx256m -Dlog4j.configuration="file:$dir/log4j.properties" -Dzookeeper.jmx.log4j.disable=true \
      -cp "$CP" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
      >"$dir/stdout.log" 2>&1 </dev/null
  ) &
  echo $! >"$dir/pid"
}

stop_one() { # id signal
  local pidfile=$base/$1/pid
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$2" "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

case $cmd in
standalone)
  port=${3:?PORT missing}
  configure 1 "$port"
  launch 1
  wait_serving 1 "$port" 60
  echo "zookeeper $name: serving on $ADDR:$port ($(mode_of "$port"))"
  ;;
ensemble)
  port=${3:?PORT missing}
  peers=()
  for i in 1 2 3; do peers+=("server.$i=$ADDR:$((port + 700 + i)):$((port + 1700 + i))"); done
  for i in 1 2 3; do configure "$i" $((port + i - 1)) "${peers[@]}"; done
  for i in 1 2 3; do refuse_taken "$i"; done  # all checked before any starts
  for i in 1 2 3; do launch "$i"; done
  for i in 1 2 3; do wait_serving "$i" $((port + i - 1)) 90; done
  echo "zookeeper $name: ensemble serving on $ADDR:$port,$((port + 1)),$((port + 2))"
  ;;
stop)
  for dir in "$base"/*/; do [ -d "$dir" ] && stop_one "$(basename "$dir")" TERM; done
  echo "zookeeper $name: stopped"
  ;;
kill)
  stop_one "${3:-1}" KILL
  ;;
start)
  n=${3:-1}
  launch "$n"
  wait_serving "$n" "$(cat "$base/$n/port")" 90
  ;;
status)
  for dir in "$base"/*/; do
    [ -f "$dir/port" ] || continue
    p=$(cat "$dir/port")
    echo "$(basename "$dir") $ADDR:$p ${mode_of_result:-$(mode_of "$p" || true)}"
  done
  ;;
*)
  echo "usage: zk.sh standalone|ensemble|stop|kill|start|status NAME [PORT|N]" >&2
  exit 2
  ;;
esac
