"""``python -m airflow_dag_sync`` is the same as the ``airflow-dag-sync`` console script."""

import sys

from airflow_dag_sync.cli import main

if __name__ == "__main__":
    sys.exit(main())
