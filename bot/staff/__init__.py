"""The agency's side of the bot: staff accounts, petitions, knowledge review, reports.

Served by `bot serve` under /staff as server-rendered pages (bot/staff/app.py mounts them,
bot/server.py builds their parts). Modules: passwords (hashing), accounts (roles, log-in,
lock-out), audit (what staff did), security (session cookie, CSRF, who may do what), site (the
templates' environment), petitions (the desk's rules), *_pages (routes), notify (the staff
Telegram group), cli (`python -m bot staff`).
"""
