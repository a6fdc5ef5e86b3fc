"""Ingest: a returned workbook -> typed Submission and issues.

``reader`` opens any workbook safely and fast; ``normalise`` turns one cell into a typed value;
``check`` applies the form contract to a whole return; ``feedback`` writes the annotated copy;
``batch`` checks many files (``perfsheet check``); ``key`` says which results are stale; ``frames``
hands Submissions to pandas.
"""
