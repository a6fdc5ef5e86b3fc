"""What the office sends (发送/催报/反馈): the period's templates (``templates``), the messages to
section chiefs built from the roster and the ledger (``mails``), and their delivery as .eml drafts or
over SMTP with a sent log, so nothing goes out twice (``delivery``).
"""
