#!/bin/bash
# One KRaft node (broker and controller) of deploy/compose.yaml, authenticated and authorized as
# scripts/kafka.sh runs them (docs/kafka.md, "Authentication and ACLs"): SASL/SCRAM-SHA-512 for
# clients and brokers, PLAIN for the controller listener, the StandardAuthorizer with nothing
# allowed without an ACL, the super user sosa-admin. The users and their passwords (from
# deploy/.env, never in this file) are written into the metadata when the node's storage is first
# formatted; the ACLs are created by the bus-provisioning service. Runs in apache/kafka:4.1.2.
set -euo pipefail
: "${KAFKA_NODE_ID:?}" "${CLUSTER_ID:?}" "${KAFKA_ADMIN_PASSWORD:?}" "${KAFKA_INTAKE_PASSWORD:?}"
: "${KAFKA_ROUTER_PASSWORD:?}" "${KAFKA_NOTIFIER_PASSWORD:?}" "${KAFKA_OPERATOR_PASSWORD:?}"
umask 077
config=/tmp/server.properties
cat >"$config" <<PROPERTIES
process.roles=broker,controller
node.id=$KAFKA_NODE_ID
controller.quorum.voters=$KAFKA_CONTROLLER_QUORUM_VOTERS
controller.listener.names=CONTROLLER
listeners=SASL_PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=$KAFKA_ADVERTISED_LISTENERS
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="sosa-admin" password="$KAFKA_ADMIN_PASSWORD";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="sosa-admin" password="$KAFKA_ADMIN_PASSWORD" user_sosa-admin="$KAFKA_ADMIN_PASSWORD";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:sosa-admin
log.dirs=/var/lib/kafka/data
auto.create.topics.enable=false
unclean.leader.election.enable=false
default.replication.factor=$KAFKA_DEFAULT_REPLICATION_FACTOR
min.insync.replicas=$KAFKA_MIN_INSYNC_REPLICAS
offsets.topic.replication.factor=$KAFKA_DEFAULT_REPLICATION_FACTOR
transaction.state.log.replication.factor=$KAFKA_DEFAULT_REPLICATION_FACTOR
transaction.state.log.min.isr=$KAFKA_TRANSACTION_STATE_LOG_MIN_ISR
group.initial.rebalance.delay.ms=3000
PROPERTIES
# the health check's client (kafka-broker-api-versions.sh --command-config)
cat >/tmp/admin-client.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="sosa-admin" password="$KAFKA_ADMIN_PASSWORD";
PROPERTIES
scram=()
for user in admin intake router notifier operator; do
  variable="KAFKA_${user^^}_PASSWORD"
  scram+=(--add-scram "SCRAM-SHA-512=[name=sosa-$user,password=${!variable}]")
done
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$CLUSTER_ID" -c "$config" "${scram[@]}"
exec /opt/kafka/bin/kafka-server-start.sh "$config"
