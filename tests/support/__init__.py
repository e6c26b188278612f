"""Test support: real brokers, real MQTT clients and real processes, started on ephemeral ports."""
