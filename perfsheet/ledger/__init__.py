"""The archive (raw files by sha256, never changed) and the SQLite ledger: the one store of what ingest
concluded about every received file, and the period status computed from it.
"""
