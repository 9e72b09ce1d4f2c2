"""Attached files: upload checks, storage behind a small interface, and their table.

This package does not import Flask: the web layer passes the storage (built from the
config with `storage_from_config`) and the acting user's id in.
"""
