#!/usr/bin/env bash
# A real Apache Kafka broker (KRaft, one node) for the integration tests.
#   broker.sh fetch          fetch the pinned jars from Maven Central into .cache/kafka
#   broker.sh start RUNDIR   start a broker with its data in RUNDIR, print its address
#   broker.sh stop RUNDIR    stop it (safe to call twice, or when it never started)
#   broker.sh restart RUNDIR start it again on its data and ports (after a crash)
# RETL_KAFKA_ADVERTISED_PORT: the port the broker tells clients to use instead
# of its own (a TCP proxy in front of it, tests/chaos/).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KAFKA_VERSION=3.9.1          # librdkafka 2.0.2 (Debian 12) speaks to it; KRaft
SLF4J_VERSION=1.7.36
RELOAD4J_VERSION=1.2.25
CACHE=${RETL_KAFKA_CACHE:-$ROOT/.cache/kafka-$KAFKA_VERSION}

fetch() {
        [ -f "$CACHE/.complete" ] && return 0
        command -v mvn >/dev/null || { echo "broker.sh: mvn is missing (scripts/deps.sh installs it)" >&2; exit 1; }
        mkdir -p "$CACHE/lib"
        cat > "$CACHE/pom.xml" <<X
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
 <groupId>local.retl.it</groupId><artifactId>kafka-broker</artifactId><version>1</version><packaging>pom</packaging>
 <dependencies>
  <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
  <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$SLF4J_VERSION</version></dependency>
  <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>$RELOAD4J_VERSION</version></dependency>
 </dependencies></project>
X
        echo "broker.sh: fetching Apache Kafka $KAFKA_VERSION jars from Maven Central" >&2
        mvn -B -q -f "$CACHE/pom.xml" \
                org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
                -DoutputDirectory="$CACHE/lib" -DincludeScope=runtime >&2
        touch "$CACHE/.complete"
}

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# kjava RUNDIR CLASS ARGS...: the JVM with the broker's class path (a literal
# "lib/*", which java expands itself).
kjava() {
        local run=$1; shift
        java -Xms128m -Xmx512m -XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
                -Dlog4j.configuration="file:$run/log4j.properties" -cp "$CACHE/lib/*" "$@"
}

start() {
        local run=$1 port cport
        fetch
        rm -rf "$run/data"; mkdir -p "$run/data"
        port=$(free_port); cport=$(free_port)
        while [ "$cport" = "$port" ]; do cport=$(free_port); done
        printf '%s\n' 'log4j.rootLogger=WARN, stdout' \
                'log4j.appender.stdout=org.apache.log4j.ConsoleAppender' \
                'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout' \
                'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n' \
                'log4j.logger.kafka.server.KafkaRaftServer=INFO' > "$run/log4j.properties"
        cat > "$run/server.properties" <<X
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:${RETL_KAFKA_ADVERTISED_PORT:-$port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$run/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
log.cleaner.dedupe.buffer.size=16777216
X
        local id
        id=$(kjava "$run" kafka.tools.StorageTool random-uuid)
        kjava "$run" kafka.tools.StorageTool format -t "$id" -c "$run/server.properties" --ignore-formatted >"$run/format.log" 2>&1
        echo "127.0.0.1:$port" > "$run/address"
        launch "$run"
}

# launch RUNDIR: runs the broker of RUNDIR's server.properties and waits for it.
launch() {
        local run=$1 port
        port=$(sed -n 's/^listeners=PLAINTEXT:[/][/]127.0.0.1:\([0-9]*\),.*/\1/p' "$run/server.properties")
        # setsid: the broker gets its own process group, so stop can end all of it.
        export -f kjava; export CACHE
        setsid bash -c 'kjava "$0" kafka.Kafka "$0/server.properties"' "$run" >>"$run/broker.log" 2>&1 < /dev/null &
        echo $! > "$run/broker.pid"
        for _ in $(seq 1 120); do
                if ! kill -0 "$(cat "$run/broker.pid")" 2>/dev/null; then
                        echo "broker.sh: the broker exited while starting; its log:" >&2
                        tail -n 30 "$run/broker.log" >&2
                        exit 1
                fi
                if kcat -b "127.0.0.1:$port" -L -m 2 >/dev/null 2>&1; then
                        echo "127.0.0.1:$port"
                        return 0
                fi
                sleep 0.5
        done
        echo "broker.sh: the broker did not answer within 60 s; its log:" >&2
        tail -n 30 "$run/broker.log" >&2
        stop "$run"
        exit 1
}

stop() {
        local run=$1 pid
        [ -f "$run/broker.pid" ] || return 0
        pid=$(cat "$run/broker.pid")
        if kill -0 "$pid" 2>/dev/null; then
                kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
                for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
                kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        rm -f "$run/broker.pid"
}

case "${1:-}" in
fetch) fetch ;;
start) start "${2:?run folder}" ;;
stop) stop "${2:?run folder}" ;;
restart) fetch; launch "${2:?run folder}" ;;
*) echo "usage: broker.sh fetch | start RUNDIR | stop RUNDIR | restart RUNDIR" >&2; exit 2 ;;
esac
