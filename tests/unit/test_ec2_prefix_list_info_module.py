"""pathwai.airflow_ecs.ec2_prefix_list_info against the emulator."""

from __future__ import annotations


def test_prefix_list_info(module_runner):
    found = module_runner("ec2_prefix_list_info", {"names": ["com.amazonaws.us-east-1.s3"]})
    assert found["prefix_list_ids"]["com.amazonaws.us-east-1.s3"].startswith("pl-")
