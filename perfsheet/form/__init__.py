"""The form contract shared by templates and ingest: field specs and cross-field rules, the layout,
the hidden sheet's keys and digest, the field <-> Submission mapping, and the issue catalogue.

Nothing here writes or reads a workbook; ``template`` builds from it and ``ingest`` checks against it.
"""
