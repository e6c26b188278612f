"""Publishing to an external MQTT broker (MQTT_URL) with paho-mqtt; MQTT 5 reason codes say who received it."""
