"""Tests for the production-broker option: Debian's Mosquitto 2 running config/mosquitto/."""
