"""The embedded MQTT broker: amqtt with token auth, per-token isolation and delivery receipts."""
