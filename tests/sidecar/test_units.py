"""Pure functions of the DAG sync program: configuration, cadence, key mapping, parsers."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from airflow_dag_sync.cli import Cadence
from airflow_dag_sync.config import Config, ConfigError
from airflow_dag_sync.events import parse_message
from airflow_dag_sync.s3 import parse_list_page, parse_timestamp
from airflow_dag_sync.tree import key_to_rel
from botocore.utils import parse_timestamp as botocore_parse_timestamp

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "dag_sync_bench.py"

BASE = {"DAGS_BUCKET": "dags", "ENV": "prod"}


def test_config_defaults_follow_the_design():
    c = Config.from_env(BASE)
    assert (c.bucket, c.prefix, c.environment) == ("dags", "prod/", "prod")
    assert (c.interval, c.jitter, c.backoff_after, c.backoff_min, c.backoff_max) == (30, 10, 5, 60, 90)
    assert c.max_delete_fraction == 0.5 and c.stray_policy == "delete" and not c.event_mode
    assert str(c.dest) == "/opt/airflow/dags" and str(c.state_dir) == "/opt/airflow/dags/.dag-sync"
    assert c.metric_namespace == "Airflow/DagSync"
    assert c.workers == 8, "README: 8 parallel downloads saturate a 0.25-vCPU task"


def test_config_prefix_overrides_env():
    c = Config.from_env({"DAGS_BUCKET": "dags", "DAG_SYNC_PREFIX": "/teams/a/"})
    assert (c.prefix, c.environment) == ("teams/a/", "teams/a")


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"DAGS_BUCKET": "dags"},
        {**BASE, "DAGS_BUCKET": "s3://dags"},
        {**BASE, "DAG_SYNC_INTERVAL": "soon"},
        {**BASE, "DAG_SYNC_MAX_DELETE_FRACTION": "2"},
        {**BASE, "DAG_SYNC_STRAY_POLICY": "ignore"},
        {**BASE, "DAG_SYNC_BACKOFF_MIN": "90", "DAG_SYNC_BACKOFF_MAX": "60"},
        {**BASE, "DAG_SYNC_DEST": "relative/path"},
        {**BASE, "DAG_SYNC_METRICS": "maybe"},
    ],
)
def test_config_rejects_bad_input(env):
    with pytest.raises(ConfigError):
        Config.from_env(env)


def test_cadence_backs_off_after_five_noops_and_resets_on_change():
    cadence = Cadence(Config.from_env(BASE))
    delays = [cadence.next_delay("noop") for _ in range(4)]
    assert all(30 <= d <= 40 for d in delays)
    assert all(60 <= cadence.next_delay("noop") <= 90 for _ in range(10))
    assert 30 <= cadence.next_delay("error") <= 40, "failures retry at the base cadence"
    assert 60 <= cadence.next_delay("noop") <= 90, "a failure does not reset the no-op count"
    assert 30 <= cadence.next_delay("ok") <= 40
    assert 30 <= cadence.next_delay("noop") <= 40


@pytest.mark.parametrize(
    ("rel", "ok"),
    [
        ("dag.py", True),
        ("a/b/c.py", True),
        ("ünï cødé/x y.py", True),
        ("folder/", False),
        ("", False),
        ("a/../b.py", False),
        ("./a.py", False),
        ("a//b.py", False),
        ("/abs.py", False),
        (".dag-sync/manifest.json", False),
        ("x" * 256, False),
        ("nul\x00.py", False),
    ],
)
def test_key_to_rel(rel, ok):
    assert (key_to_rel(rel, ".dag-sync") is not None) is ok


def _s3_event(key: str, bucket: str = "dags", name: str = "ObjectCreated:Put") -> dict:
    return {
        "eventName": name,
        "eventTime": "2026-11-26T10:00:00.000Z",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key}},
    }


def test_parse_s3_event_decodes_keys_and_filters():
    body = json.dumps(
        {
            "Records": [
                _s3_event("prod/new+dir/caf%C3%A9.py"),
                _s3_event("prod/gone.py", name="ObjectRemoved:Delete"),
                _s3_event("dev/other.py"),
                _s3_event("prod/x.py", bucket="another"),
            ]
        }
    )
    rels, times = parse_message(body, "dags", "prod/")
    assert rels == {"new dir/café.py", "gone.py"} and len(times) == 2


def test_parse_sns_wrapped_and_test_events():
    inner = json.dumps({"Records": [_s3_event("prod/a.py")]})
    assert parse_message(json.dumps({"Type": "Notification", "Message": inner}), "dags", "prod/")[0] == {
        "a.py"
    }
    assert parse_message(json.dumps({"Event": "s3:TestEvent"}), "dags", "prod/") == (set(), [])
    assert parse_message("not json", "dags", "prod/") is None
    assert parse_message(json.dumps({"hello": 1}), "dags", "prod/") is None


def test_fast_list_parser_reads_an_s3_page():
    page = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>dags</Name><Prefix>prod/</Prefix>
<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
<Contents><Key>prod/a+b.py</Key><LastModified>2026-11-26T10:00:00.000Z</LastModified>
<ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>prod/m.bin</Key><LastModified>2026-11-26T10:00:01.000Z</LastModified>
<ETag>&quot;def-2&quot;</ETag><Size>0</Size></Contents>
<NextContinuationToken>tok==</NextContinuationToken></ListBucketResult>"""
    contents, truncated, token, encoded = parse_list_page(page)
    assert contents == [
        ("prod/a+b.py", '"abc"', 12, "2026-11-26T10:00:00.000Z"),
        ("prod/m.bin", '"def-2"', 0, "2026-11-26T10:00:01.000Z"),
    ]
    assert (truncated, token, encoded) == (True, "tok==", True)


@pytest.mark.parametrize(
    "value",
    [
        "Wed, 26 Nov 2026 15:05:11 GMT",  # Last-Modified header
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "2026-11-26T15:05:11.000Z",  # XML bodies
        "2026-11-26T15:05:11.123456+00:00",
        "2026-11-26T16:05:11+01:00",
    ],
)
def test_timestamp_parser_reads_s3_forms_like_botocore(value):
    parsed = parse_timestamp(value)
    assert parsed == botocore_parse_timestamp(value)
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize("value", [1795736565, "1795736565", "2026-11-26T15:05:11", "26 Nov 2026"])
def test_timestamp_parser_hands_other_forms_to_botocore(value):
    expected = botocore_parse_timestamp(value)
    assert parse_timestamp(value) == expected


def test_timestamp_parser_uses_the_standard_library_for_headers():
    # botocore's dateutil path gives tzutc(); the fast path gives datetime.timezone.utc
    assert parse_timestamp("Wed, 26 Nov 2026 15:05:11 GMT").tzinfo is UTC
    assert parse_timestamp("2026-11-26T15:05:11Z") == datetime(2026, 11, 26, 15, 5, 11, tzinfo=UTC)


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("dag_sync_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("listing_s", "expected"),
    [
        (0.05, 0.1),  # 1,000 keys: the floor (3 s) is already > 5x the listing
        (0.58, 0.1),
        (0.61, 0.2),  # 5 x 0.61 = 3.05 s > 3 s
        (3.0, 0.5),
        (5.2, 0.9),  # 10,000 keys on the emulator: 26 s >= 5 x 5.2 s
        (6.0, 1.0),
        (9.0, 1.0),  # never slower than the real cadence
    ],
)
def test_bench_pickup_cadence_grows_with_the_listing(bench, listing_s, expected):
    scale = bench.pickup_scale(listing_s, floor=0.1, factor=5, cap=1.0)
    assert scale == pytest.approx(expected)
    assert 30 * scale >= min(5 * listing_s, 30) - 1e-9


def test_bench_pickup_cadence_override_and_table_target(bench):
    assert bench.pickup_scale(5.2, floor=0.1, factor=5, cap=1.0, override=0.3) == 0.3
    result = {
        "size": 10000,
        "cli_first_wall": 2.0,
        "cli_first_cpu": 1.0,
        "our_first_wall": 1.0,
        "our_first_cpu": 1.0,
        "cli_noop_wall": 2.0,
        "our_noop_wall": 5.2,
        "cli_noop_cpu": 1.0,
        "our_noop_cpu": 0.1,
        "cli_noop_requests": 10,
        "our_noop_requests_emulator": 10,
        "cadence_scale": 0.9,
        "interval": 27.0,
        "jitter": 9.0,
        "pickup_target": 37.0,
        "cli_pickup": [30.0] * 20,
        "our_pickup": [20.0] * 19 + [38.0],
    }
    text = bench.table([result])
    p95 = next(line for line in text.splitlines() if "pickup p95" in line)
    assert "<= 37.0 s (27+9+1)" in p95 and p95.endswith("| yes |")
    result["our_pickup"] = [20.0] * 18 + [38.0, 38.0]
    p95 = next(line for line in bench.table([result]).splitlines() if "pickup p95" in line)
    assert p95.endswith("| **no** |")
    assert "target p95 <= 27 + 9 + 1 = 37 s" in bench.cadence_notes([result])[0]
