"""`make secrets`: the production tool that sets a deployed stack's secrets (see cli.py)."""
