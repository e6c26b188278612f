"""Rate limits on webhooks, per token and per client address."""
