"""The chatbot: `python -m bot --help` lists its commands (bot/cli.py); `python -m bot serve`
runs the web chat, Telegram, Zalo and the staff pages in one server (bot/server.py). The
README's "How the code is laid out" maps the packages."""
