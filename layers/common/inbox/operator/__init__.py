"""The operator API behind the config function: login, tokens, settings, messages, conversations, replies
and the web inbox."""
