"""Pure functions of the DAG sync program: configuration, cadence, key mapping, parsers."""

from __future__ import annotations

import json

import pytest
from airflow_dag_sync.cli import Cadence
from airflow_dag_sync.config import Config, ConfigError
from airflow_dag_sync.events import parse_message
from airflow_dag_sync.s3 import parse_list_page
from airflow_dag_sync.tree import key_to_rel

BASE = {"DAGS_BUCKET": "dags", "ENV": "prod"}


def test_config_defaults_follow_the_design():
    c = Config.from_env(BASE)
    assert (c.bucket, c.prefix, c.environment) == ("dags", "prod/", "prod")
    assert (c.interval, c.jitter, c.backoff_after, c.backoff_min, c.backoff_max) == (30, 10, 5, 60, 90)
    assert c.max_delete_fraction == 0.5 and c.stray_policy == "delete" and not c.event_mode
    assert str(c.dest) == "/opt/airflow/dags" and str(c.state_dir) == "/opt/airflow/dags/.dag-sync"
    assert c.metric_namespace == "Airflow/DagSync"


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
