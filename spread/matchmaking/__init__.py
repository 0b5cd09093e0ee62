"""The seam between database rows and the ``matching`` library.

``adapter`` turns profile rows into the library's dicts, ``store`` keeps model versions and
fitted models in the database, ``index`` and ``suggestions`` serve partner suggestions,
``constraints`` and ``pairing_run`` pair a round, ``labels`` turns decisions into training
labels.
"""
