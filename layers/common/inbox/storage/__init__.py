"""The messages table: the one write path, the readers and the content fingerprints."""
