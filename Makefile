# awtrix-cloud: `make run` starts gateway + embedded broker; `make test` sets up and runs every test.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

HOST ?= 127.0.0.1
PORT ?= 8000
MQTT_PORT ?= 1883
export HOST PORT MQTT_PORT

.PHONY: setup system-deps run run-web test lint token bench soak clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

# Debian packages the tests need: Mosquitto (interop, end-to-end, bridge tests), redis (shared rate limits), openssl,
# nginx and HAProxy (the gateway behind the reverse-proxy configurations of config/nginx/ and config/haproxy/);
# chromium and its driver (the web page's browser tests, driven by Selenium), curl (the page's curl example is run).
DEBIAN_TEST_PACKAGES := mosquitto mosquitto-clients redis-server openssl nginx haproxy chromium chromium-driver curl
system-deps:
	@missing=""; \
	for tool in /usr/sbin/mosquitto /usr/bin/mosquitto_sub /usr/bin/redis-server /usr/bin/openssl /usr/sbin/nginx /usr/sbin/haproxy \
	  /usr/bin/chromium /usr/bin/chromedriver /usr/bin/curl; do \
	  [ -x "$$tool" ] || missing=yes; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $(DEBIAN_TEST_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_TEST_PACKAGES) >/dev/null; \
	fi

# Whole system on the embedded broker, in the foreground; Ctrl-C stops both processes.
# A gateway<->broker secret is generated for this local run unless GATEWAY_SECRET is set.
# With MQTT_URL set (an external broker), only the gateway is started.
run: setup
	@export PATH="$(abspath $(BIN)):$$PATH"; \
	export GATEWAY_SECRET="$${GATEWAY_SECRET:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')}"; \
	if [ -n "$$MQTT_URL" ]; then exec honcho start -f Procfile web; else exec honcho start -f Procfile; fi

test: setup system-deps
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .

token: setup
	@$(BIN)/python -m common.tokens

# Loopback benchmark: ours against Mosquitto, RabbitMQ's HTTP API and a bare Flask app, one table (docs/PERFORMANCE.md).
# Installs wrk and rabbitmq-server from Debian when missing. BENCH_QUICK=1: small counts, about a minute.
bench: setup system-deps
	$(BIN)/python -m bench.run

# Loopback soak: ~500 devices, webhooks at ~80 % of a measured capacity for SOAK_S (60) s, each checked by id:
# every delivered:true received once by its own device, no 5xx, 202 only without a device (docs/RELIABILITY.md).
soak: setup system-deps
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
