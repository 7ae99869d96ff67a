"""Everything that touches Kafka: clients, topic layout, headers, quarantine, exactly-once."""
