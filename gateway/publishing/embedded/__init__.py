"""Publishing to the embedded broker: one link per thread, or the worker's pipelined link, and delivery receipts."""
