"""The training pod: load, clean and validate data, train a scikit-learn Pipeline, write a version.

Entry point: ``python -m mlmodel_operator.runtimes.trainer`` (see __main__.py); in-process use:
``run.train_version``. Never imports the controller (import-linter contract).
"""
