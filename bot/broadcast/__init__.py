"""Administrative-reform announcements to subscribers: composing and approving
(announcements), the copies per subscriber and their sending (delivery), each channel's way of
sending one (senders), how one looks on each channel (render), and `python -m bot broadcast`
(cli)."""
