#!/usr/bin/python
# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0

DOCUMENTATION = r"""
---
module: sns_topic
short_description: Manage an SNS topic encrypted with a KMS key, its subscriptions and tags
version_added: 0.1.0
description:
  - Creates, updates or deletes one standard SNS topic identified by O(name).
  - Written because C(community.aws.sns_topic) has no option for the topic's C(KmsMasterKeyId), and
    the alert topic must be encrypted with the platform's C(sns) customer managed key.
  - Subscriptions are O(subscriptions) (protocol and endpoint); with O(purge_subscriptions=true)
    confirmed subscriptions not listed are removed. Subscriptions still waiting for confirmation
    (an e-mail nobody clicked yet) have no ARN and cannot be removed; they are left alone.
  - Supports check mode and diff mode.
  - Calls used are C(ListTopics) and C(ListSubscriptionsByTopic) (paginated), C(GetTopicAttributes),
    C(CreateTopic), C(SetTopicAttributes), C(Subscribe), C(Unsubscribe), C(ListTagsForResource),
    C(TagResource), C(UntagResource), C(DeleteTopic).
author:
  - pathwai platform engineering
options:
  name:
    description: The topic's name.
    type: str
    required: true
  state:
    description: Whether the topic should exist.
    type: str
    choices: [present, absent]
    default: present
  display_name:
    description: The topic's display name (SMS sender). Omit to leave it alone.
    type: str
  kms_master_key_id:
    description:
      - The KMS key (ARN, id or alias) SNS encrypts messages at rest with. Omit to leave it alone;
        an empty string turns encryption off.
      - The key's policy must let the publishing services (CloudWatch alarms) use it.
    type: str
  subscriptions:
    description: The subscriptions the topic should have. Omit to leave them alone.
    type: list
    elements: dict
    suboptions:
      protocol: {description: 'C(email), C(email-json), C(https), C(sqs), C(lambda), ...', type: str, required: true}
      endpoint: {description: The address, URL or ARN., type: str, required: true}
  purge_subscriptions:
    description: Remove confirmed subscriptions that are not in O(subscriptions).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Alert topic on the sns key, one e-mail subscription
  pathwai.airflow_ecs.sns_topic:
    name: airflow-prod-alerts
    kms_master_key_id: alias/airflow-prod-sns
    subscriptions:
      - {protocol: email, endpoint: oncall@example.com}
    tags:
      airflow:env: prod

- name: Delete it
  pathwai.airflow_ecs.sns_topic:
    name: airflow-prod-alerts
    state: absent
"""

RETURN = r"""
topic_arn: {description: The topic ARN (null in check mode before creation)., returned: always, type: str}
name: {description: The topic name., returned: always, type: str}
display_name: {description: The display name., returned: when present, type: str}
kms_master_key_id: {description: The KMS key as configured (empty when unencrypted)., returned: when present, type: str}
subscriptions:
  description: The subscriptions (C(subscription_arn) is C(PendingConfirmation) until confirmed, null in check mode).
  returned: when present
  type: list
  elements: dict
  sample: [{protocol: email, endpoint: oncall@example.com, subscription_arn: "arn:aws:sns:us-east-1:123456789012:t:1a2b"}]
tags: {description: Tags., returned: when present, type: dict}
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    paginate,
    retrying_client,
    run_module,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.sns_topic import (
    attribute_changes,
    desired_topic,
    normalise_subscriptions,
    normalise_topic,
    subscription_changes,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes, tags_list


def find_topic_arn(client, name: str) -> str | None:
    for topic in paginate(client, "list_topics").get("Topics", []):
        if topic["TopicArn"].rsplit(":", 1)[-1] == name:
            return topic["TopicArn"]
    return None


def read_topic(client, arn: str) -> dict:
    attributes = client.get_topic_attributes(TopicArn=arn, aws_retry=True)["Attributes"]
    subs = paginate(client, "list_subscriptions_by_topic", TopicArn=arn).get("Subscriptions", [])
    tags = client.list_tags_for_resource(ResourceArn=arn, aws_retry=True).get("Tags", [])
    return normalise_topic(attributes, normalise_subscriptions(subs), {t["Key"]: t["Value"] for t in tags})


def apply_changes(module, client, arn: str, before: dict) -> None:
    params = module.params
    for attribute, value in attribute_changes(before, params).items():
        client.set_topic_attributes(
            TopicArn=arn, AttributeName=attribute, AttributeValue=value, aws_retry=True
        )
    if params["subscriptions"] is not None:
        to_add, to_remove = subscription_changes(
            before["subscriptions"], params["subscriptions"], params["purge_subscriptions"]
        )
        for sub in to_add:
            client.subscribe(TopicArn=arn, Protocol=sub["protocol"], Endpoint=sub["endpoint"], aws_retry=True)
        for sub in to_remove:
            client.unsubscribe(SubscriptionArn=sub["subscription_arn"], aws_retry=True)
    to_set, to_remove = tag_changes(before["tags"], params["tags"], params["purge_tags"])
    if to_remove:
        client.untag_resource(ResourceArn=arn, TagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(ResourceArn=arn, Tags=tags_list(to_set), aws_retry=True)


def ensure_present(module, client, arn: str | None) -> dict:
    params = module.params
    before = read_topic(client, arn) if arn else None
    desired = desired_topic(before, params, arn)
    if before is not None and desired == before:
        return dict(changed=False, **before)
    if module.check_mode:
        return dict(changed=True, **desired, diff=diff_result(before or {}, desired))
    if arn is None:
        attributes = {}
        if params["kms_master_key_id"]:
            attributes["KmsMasterKeyId"] = params["kms_master_key_id"]
        if params["display_name"]:
            attributes["DisplayName"] = params["display_name"]
        request = dict(Name=params["name"], Attributes=attributes)
        if params["tags"]:
            request["Tags"] = tags_list(params["tags"])
        arn = client.create_topic(**request, aws_retry=True)["TopicArn"]
        before_apply = read_topic(client, arn)
    else:
        before_apply = before
    apply_changes(module, client, arn, before_apply)
    after = read_topic(client, arn)
    return dict(changed=True, **after, diff=diff_result(before or {}, after))


def ensure_absent(module, client, arn: str | None) -> dict:
    if arn is None:
        return dict(changed=False, topic_arn=None, name=module.params["name"])
    before = read_topic(client, arn)
    if not module.check_mode:
        try:
            client.delete_topic(TopicArn=arn, aws_retry=True)
        except is_boto3_error_code("NotFound"):
            pass
    return dict(changed=True, topic_arn=arn, name=module.params["name"], diff=diff_result(before, {}))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        display_name=dict(type="str"),
        kms_master_key_id=dict(type="str"),
        subscriptions=dict(
            type="list",
            elements="dict",
            options=dict(protocol=dict(type="str", required=True), endpoint=dict(type="str", required=True)),
        ),
        purge_subscriptions=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = retrying_client(module, "sns")

    def work():
        arn = find_topic_arn(client, module.params["name"])
        if module.params["state"] == "present":
            result = ensure_present(module, client, arn)
        else:
            result = ensure_absent(module, client, arn)
        return result

    run_module(module, work, f"converge SNS topic {module.params['name']}")


if __name__ == "__main__":
    main()
