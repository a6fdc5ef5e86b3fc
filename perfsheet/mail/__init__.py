"""Mail: decoding and sanitising attachments from .eml/.mbox/Maildir/IMAP, building and sending messages.
"""
