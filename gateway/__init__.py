"""The HTTP gateway: accept webhooks and publish them to devices over MQTT."""
