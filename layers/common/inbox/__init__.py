"""Chatrace → Instagram inbox: everything the Lambda functions share (the common layer)."""
