"""The gateway's Prometheus metrics: bounded labels, per-worker counting in plain numbers, gunicorn's multiprocess files.

labels.py: the fixed label values (mode families from the firmware tables, answers from the error catalog).
recording.py: what a webhook records (a WSGI middleware and two notes), and the hooks around a worker.
tally.py: one process's counts in plain Python numbers, flushed to prometheus-client once a second.
definitions.py: the metric objects (prometheus-client, multiprocess mode). master.py: gunicorn's master serving them.
Nothing here imports prometheus-client unless metrics are on (GATEWAY_METRICS_PORT).
"""
