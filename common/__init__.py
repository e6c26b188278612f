"""Rules shared by the gateway and the broker: tokens, topics and the delivery receipt."""
