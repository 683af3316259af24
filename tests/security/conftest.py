"""The security tier reuses the integration tier's operator API fixtures (functions/config in-process)."""

from __future__ import annotations

from tests.integration.conftest import call, config_module, token  # noqa: F401 - fixtures
