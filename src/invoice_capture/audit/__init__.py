"""The tamper-evident audit log: append (chain.py), verify and export (later: verify.py, export.py)."""
