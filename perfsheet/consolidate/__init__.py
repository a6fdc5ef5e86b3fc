"""Consolidation: the period's returns (as the ledger holds them) -> the department's 双监控 Summary.
"""
