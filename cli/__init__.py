"""The `fastmlmd` command: inspect, query, draw, export, import and copy stores from a terminal.

Every store is opened through the public `ml_metadata` API (store_url.py maps a URL to its config), so a
store the API can open is one the command can read.
"""
