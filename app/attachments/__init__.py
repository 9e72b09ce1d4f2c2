"""Attached files: upload checks, the table of attached files (stored through app.storage).

This package does not import Flask: the web layer passes the storage (built from the
config with `storage_from_config`) and the acting user's id in.
"""
