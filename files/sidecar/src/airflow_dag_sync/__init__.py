"""airflow-dag-sync: keep a local directory (the EFS DAG tree) equal to an S3 prefix.

See files/sidecar/README.md for configuration, exit codes, metrics and policies.
"""

__version__ = "0.1.0"
