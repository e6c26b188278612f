"""`make bench`: end-to-end throughput, latency, memory and reconnect figures against reference systems."""
