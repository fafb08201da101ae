"""Emulator extension iam_update_role_keeps_omitted: UpdateRole changes only the fields it is given."""

from __future__ import annotations

import json

import boto3

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}  # fmt: skip


def test_update_role_keeps_the_fields_left_out(aws_endpoint):
    iam = boto3.client("iam", endpoint_url=aws_endpoint.url)
    iam.create_role(
        RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST), Description="first", MaxSessionDuration=7200
    )
    iam.update_role(RoleName="r", Description="second")
    role = iam.get_role(RoleName="r")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("second", 7200)
    iam.update_role(RoleName="r", MaxSessionDuration=10800)
    role = iam.get_role(RoleName="r")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("second", 10800)
