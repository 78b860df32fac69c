"""The login page as a person sees it, in Debian's Chromium."""

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_login_in_chromium(live_server, desktop, make):
    user = make.user("principal", username="hieutruong")
    browser_login(desktop, live_server, user)
    assert desktop.url.endswith("/dashboard")
    assert "Đăng xuất" in desktop.content()
