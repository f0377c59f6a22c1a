#!/usr/bin/env bash
# Creates retl's topics and the ACLs of its two principals on an existing Kafka cluster,
# with Apache Kafka's own tools (kafka-topics.sh, kafka-acls.sh; bin/ of any Kafka 3.x
# download, or `kubectl exec` into a broker pod). Idempotent: existing topics and ACLs are
# left as they are. Read deploy/kafka/README.md first.
#
#   BOOTSTRAP=kafka-kafka-bootstrap.kafka.svc:9093 COMMAND_CONFIG=admin.properties \
#   WORKSPACES="marketing product-eu" deploy/kafka/topics-and-acls.sh
#
# Settings (environment):
#   BOOTSTRAP        bootstrap servers (required)
#   COMMAND_CONFIG   client properties of an admin principal (security.protocol, sasl.*, ssl.*)
#   WORKSPACES       names of the workspaces in retl.cfg (workspaces = ( { name = ...; } ))
#   TOPIC_PREFIX     kafka.topic_prefix (retl.ws.)
#   STATE_PREFIX     kafka.state_topic_prefix (retl.state.)
#   IMPORTS_TOPIC    kafka.imports_topic (retl.imports)
#   FAILURES_TOPIC   kafka.failures_topic (retl.failures)
#   GROUP            kafka.group (retl-uploaders)
#   EXTRACTOR_USER   the extractor's principal name (retl-extractor)
#   UPLOADER_USER    the uploaders' principal name (retl-uploader)
#   CONSOLE_USER     the console's principal name (deploy/components/console; unset = no
#                    ACLs for a console), e.g. retl-console
#   REPLICATION      replication factor (3; min.insync.replicas is 2)
#   DRY_RUN=1        print the commands instead of running them
set -euo pipefail

: "${BOOTSTRAP:?set BOOTSTRAP to the bootstrap servers}"
WORKSPACES=${WORKSPACES:-"marketing product-eu"}
TOPIC_PREFIX=${TOPIC_PREFIX:-retl.ws.}
STATE_PREFIX=${STATE_PREFIX:-retl.state.}
IMPORTS_TOPIC=${IMPORTS_TOPIC:-retl.imports}
FAILURES_TOPIC=${FAILURES_TOPIC:-retl.failures}
GROUP=${GROUP:-retl-uploaders}
EXTRACTOR_USER=${EXTRACTOR_USER:-retl-extractor}
UPLOADER_USER=${UPLOADER_USER:-retl-uploader}
CONSOLE_USER=${CONSOLE_USER:-}
REPLICATION=${REPLICATION:-3}
KAFKA_TOPICS=${KAFKA_TOPICS:-kafka-topics.sh}
KAFKA_ACLS=${KAFKA_ACLS:-kafka-acls.sh}

conn=(--bootstrap-server "$BOOTSTRAP")
[ -n "${COMMAND_CONFIG:-}" ] && conn+=(--command-config "$COMMAND_CONFIG")

run() {
        echo "+ $*"
        [ "${DRY_RUN:-0}" = 1 ] || "$@"
}

topic() { # topic NAME RETENTION_MS | topic NAME compact
        local policy=(--config retention.ms="$2" --config cleanup.policy=delete)
        [ "$2" = compact ] && policy=(--config cleanup.policy=compact)
        run "$KAFKA_TOPICS" "${conn[@]}" --create --if-not-exists --topic "$1" \
                --partitions 1 --replication-factor "$REPLICATION" \
                --config min.insync.replicas=2 "${policy[@]}"
}

# Workspace topics: exactly ONE partition each (one ordered log per workspace: its
# imports never run concurrently). 7 days of retention = the window for `retl replay`
# (kafka.retention_ms in retl.cfg).
for ws in $WORKSPACES; do
        topic "$TOPIC_PREFIX$ws" 604800000
done
# Row state (what was last delivered per identifier): compacted, never expires.
for ws in $WORKSPACES; do
        topic "$STATE_PREFIX$ws" compact
done
# Import reports (status of every run) and failed rows: kept longer, so that the history
# and the failures of past runs can be read from any machine.
topic "$IMPORTS_TOPIC" 7776000000       # 90 days
topic "$FAILURES_TOPIC" 2592000000      # 30 days

acl() { run "$KAFKA_ACLS" "${conn[@]}" --add --force "$@"; }
E=User:$EXTRACTOR_USER
U=User:$UPLOADER_USER

# Extractor: produces every run to its workspace's topic, reads the topics' end offsets
# (Describe) and the uploader group's committed offsets, which carry each sync's
# last_sync_time (Describe and Read on the group, without joining it), and reports
# skipped runs to the imports topic. Create lets it create the topic of a workspace
# added later, with the settings above; drop it to create topics only by hand.
acl --allow-principal "$E" --resource-pattern-type prefixed --topic "$TOPIC_PREFIX" \
        --operation Write --operation Describe --operation Create
acl --allow-principal "$E" --topic "$IMPORTS_TOPIC" --operation Write --operation Describe
acl --allow-principal "$E" --group "$GROUP" --operation Describe --operation Read
acl --allow-principal "$E" --cluster --operation IdempotentWrite   # brokers before Kafka 3.0

# Uploaders: consume every workspace topic by pattern in their group, commit offsets
# with the syncs' last_sync_time, write import reports and failed rows.
# KEDA's kafka scaler logs in as this principal too (Describe on group and topics).
acl --allow-principal "$U" --resource-pattern-type prefixed --topic "$TOPIC_PREFIX" \
        --operation Read --operation Describe
acl --allow-principal "$U" --topic "$IMPORTS_TOPIC" --operation Write --operation Describe
acl --allow-principal "$U" --topic "$FAILURES_TOPIC" --operation Write --operation Describe
# ... and read and write the row state (Create: a workspace added later).
acl --allow-principal "$U" --resource-pattern-type prefixed --topic "$STATE_PREFIX" \
        --operation Read --operation Write --operation Describe --operation Create
acl --allow-principal "$U" --group "$GROUP" --operation Read --operation Describe
acl --allow-principal "$U" --cluster --operation IdempotentWrite   # brokers before Kafka 3.0

# Console (optional): reads the import reports and failed rows, the workspace topics
# (their end offsets, and the runs a replay copies) and the uploader group's committed
# offsets (Describe); its Replay appends to a workspace topic, as `retl replay` does.
if [ -n "$CONSOLE_USER" ]; then
        C=User:$CONSOLE_USER
        acl --allow-principal "$C" --resource-pattern-type prefixed --topic "$TOPIC_PREFIX" \
                --operation Read --operation Describe --operation Write
        acl --allow-principal "$C" --topic "$IMPORTS_TOPIC" --operation Read --operation Describe
        acl --allow-principal "$C" --topic "$FAILURES_TOPIC" --operation Read --operation Describe
        acl --allow-principal "$C" --group "$GROUP" --operation Describe
        acl --allow-principal "$C" --cluster --operation IdempotentWrite   # brokers before Kafka 3.0
fi

echo "done: $(echo $WORKSPACES | wc -w) workspace topic(s), $IMPORTS_TOPIC, $FAILURES_TOPIC, ACLs for $E and $U"
