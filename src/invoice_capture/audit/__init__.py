"""The tamper-evident audit log: append (chain.py), verify the chain (verify.py), export it (export.py)."""
