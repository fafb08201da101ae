"""Emulator extension elasticache_auth_tokens: ModifyReplicationGroup's ROTATE keeps the old AUTH
token working beside the new one, SET then keeps only the new one, and SET without a ROTATE of
that token is refused."""

from __future__ import annotations

import hashlib

import boto3
import pytest
from botocore.exceptions import ClientError

from local_aws.server import fetch_auth_tokens

OLD, NEW, OTHER = "old-token-0123456789", "new-token-0123456789", "other-token-0123456789"


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@pytest.fixture
def redis(aws_endpoint):
    client = boto3.client("elasticache", endpoint_url=aws_endpoint.url)
    client.create_replication_group(
        ReplicationGroupId="rg",
        ReplicationGroupDescription="broker",
        Engine="redis",
        TransitEncryptionEnabled=True,
        AuthToken=OLD,
    )

    def accepted() -> list[str]:
        return fetch_auth_tokens(aws_endpoint.url)["rg"]

    return client, accepted


def modify(client, token: str, strategy: str) -> dict:
    return client.modify_replication_group(
        ReplicationGroupId="rg", AuthToken=token, AuthTokenUpdateStrategy=strategy, ApplyImmediately=True
    )["ReplicationGroup"]


def test_rotate_keeps_both_tokens_then_set_keeps_only_the_new_one(redis):
    client, accepted = redis
    assert accepted() == [sha(OLD)]
    assert modify(client, NEW, "ROTATE")["AuthTokenEnabled"] is True
    assert accepted() == [sha(OLD), sha(NEW)]
    modify(client, NEW, "ROTATE")  # the same token again: nothing changes
    assert accepted() == [sha(OLD), sha(NEW)]
    modify(client, NEW, "SET")
    assert accepted() == [sha(NEW)]
    modify(client, NEW, "SET")  # already the only one
    assert accepted() == [sha(NEW)]


def test_a_second_rotate_replaces_the_older_token(redis):
    client, accepted = redis
    modify(client, NEW, "ROTATE")
    modify(client, OTHER, "ROTATE")
    assert accepted() == [sha(NEW), sha(OTHER)]


def test_set_without_rotate_is_refused_and_changes_nothing(redis):
    client, accepted = redis
    with pytest.raises(ClientError) as raised:
        modify(client, NEW, "SET")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert accepted() == [sha(OLD)]


def test_the_default_strategy_is_rotate(redis):
    client, accepted = redis
    client.modify_replication_group(ReplicationGroupId="rg", AuthToken=NEW, ApplyImmediately=True)
    assert accepted() == [sha(OLD), sha(NEW)]
