"""The environment a test gives the processes it starts: only what a process needs to run,
never the developer's own settings.

A developer with TELEGRAM_BOT_TOKEN or ZALO_OA_ACCESS_TOKEN exported must not have a test's
`bot serve` reach the real Telegram or Zalo with them. So a child gets the allow-listed
variables below, the base URLs of the platforms pointed at a closed local port unless the
test gives its fake's, and what the test passes.

    subprocess.run([sys.executable, "-m", "bot", ...], env=child_environment(BOT_DB=str(db)))
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What Python, a locale and the browser need; nothing of the bot's own settings.
ALLOWED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP", "TZ",
           "SYSTEMROOT", "VIRTUAL_ENV", "PLAYWRIGHT_BROWSERS_PATH", "XDG_RUNTIME_DIR", "CI")
# Port 9 (discard) on loopback: nothing listens, so a forgotten fake fails fast and locally.
CLOSED = "http://127.0.0.1:9"
PLATFORM_URLS = ("TELEGRAM_API_BASE_URL", "ZALO_API_BASE_URL", "ZALO_OAUTH_BASE_URL")


def child_environment(**values: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in ALLOWED if name in os.environ}
    env["PYTHONPATH"] = str(ROOT)
    env.update({name: CLOSED for name in PLATFORM_URLS})
    env.update(values)
    return env
