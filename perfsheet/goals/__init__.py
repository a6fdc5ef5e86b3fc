"""Goals (年度绩效目标): the registry as data, its YAML, JSON and Excel forms, and the goals-document import.

``registry`` loads, validates and saves the goals YAML (and the embedded 2025 default); ``document`` is
the import's entry point (:func:`~perfsheet.goals.document.read_goals_document`) and writes a registry
back as Word; ``cells`` turns any input (text, Word, Excel, web page) into tables of cells,
``vocabulary`` holds the header and label synonyms, ``tables`` reads projects from the tables;
``workbook`` is the goals workbook a clerk edits in Excel (export and import); ``export`` is the JSON of
``perfsheet goals show --json``.
"""
