"""The HTTP gateway: accept webhooks and publish them to devices (see the README's Development section for its map)."""
