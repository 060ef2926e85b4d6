"""The household register (确村确户, R21, R14, R18): one record per household of a village.

``tables.py`` the records, ``vocabulary.toml`` the categories and routes as data,
``register.py`` adding, finding and linking alarms, ``importer.py`` the offices'
sheets, ``coverage.py`` per-village figures.
"""
