"""Goals (年度绩效目标): the registry as data, its YAML and JSON forms, and the goals-document import.

``registry`` loads, validates and saves the goals YAML (and the embedded 2025 default); ``document``
reads a department's published goals document into a registry and writes it back as Word; ``export`` is
the JSON of ``perfsheet goals show --json``.
"""
