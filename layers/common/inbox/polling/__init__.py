"""The poller function's own logic: one round against Chatrace's inbox API, its state, its client."""
