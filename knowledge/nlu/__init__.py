"""Understanding what a citizen writes: normalise the words (`normalize`), turn them into a
weighted query (`query`), rank the procedure records (`ranking`), weigh that against the
intents and the hand-kept answers (`understand`), and read a follow-up against the
conversation's procedure (`conversation`, `follow_up`).

    understanding = Understander(Knowledge.load()).understand("đăng ký tạm trú mất bao lâu")
    understanding.intent, understanding.procedure, understanding.aspect
"""
