"""The webhook function's own logic: one delivery from bytes to a stored message and an answer."""
