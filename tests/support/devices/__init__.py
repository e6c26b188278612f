"""Stand-ins for the clocks: raw-socket MQTT clients that put on the wire what each firmware's source does."""
