"""The review workflow: states and decisions (workflow.py), checks on the values (checks.py), the invoice view the
cards and the API show (view.py), and the service that ties ingest, jobs, extraction and decisions (service.py)."""
