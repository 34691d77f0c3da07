"""The chat channels, each turning its platform's updates into `bot.messages.Incoming` and the
dialogue's replies back into the platform's messages: the web chat (web), Telegram (telegram,
with telegram_http, _render, _updates) and the Zalo Official Account (zalo, with zalo_api,
_render). They import nothing from each other or from bot/server.py, which builds them:

    TELEGRAM_BOT_TOKEN=... ZALO_APP_ID=... python -m bot serve
"""
