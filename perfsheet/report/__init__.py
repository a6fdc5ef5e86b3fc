"""Reports: the summary workbook (``workbook``) and the 情况说明 narrative (``narrative``, Markdown and Word).
"""
