"""Tests of the Airflow image's files (files/images/airflow): importable without Airflow."""

from __future__ import annotations

import sys
from pathlib import Path

IMAGE_DIR = Path(__file__).resolve().parents[2] / "files" / "images" / "airflow"
if str(IMAGE_DIR) not in sys.path:
    sys.path.insert(0, str(IMAGE_DIR))
