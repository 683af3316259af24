"""The normalizer: any parsed webhook body → normalized messages (pure: no I/O, no logging, no AWS).

:func:`inbox.normalize.dispatch.normalize` tries the adapters (one module per known shape) in
order. This package file imports nothing, so a function that needs only its helpers (the poller's
inbox client: ``coerce``, ``context``, ``timestamps``; the events function's item codec) does not
load every adapter at its cold start.
"""
