"""Templates: building the monthly monitoring workbook (``build``), its Excel-limit checks (``lint``).
"""
