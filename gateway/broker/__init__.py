"""A real Apache Kafka (KRaft) cluster on loopback, run from the Maven Central jars."""

from gateway.broker.jars import KafkaRuntime, resolve_runtime
from gateway.broker.local import BrokerStatus, LocalCluster

__all__ = ["BrokerStatus", "KafkaRuntime", "LocalCluster", "resolve_runtime"]
