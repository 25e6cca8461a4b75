"""Every domain test runs with a private home (settings read TUI_CRM_USER and _REGION)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_home(home):
    yield home
