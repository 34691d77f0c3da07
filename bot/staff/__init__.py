"""The agency's side of the bot: staff accounts, petitions, knowledge review, reports.

Served by `bot serve` under /staff as server-rendered pages (bot/staff/app.py). Modules:
passwords (hashing), accounts (roles, log-in, lock-out), audit (what staff did), security
(session cookie, CSRF, who may do what), pages (the templates' environment), app (routes).
"""
