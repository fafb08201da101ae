# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""pathwai.airflow_ecs.managed_secret's convergence, for one secret or a list of them (the Secrets
Manager and KMS calls; ``managed_secret`` composes values and shapes results).

Reads are batched: one paginated ListSecrets (by the names' common prefix) gives every secret's
metadata in the list form (DescribeSecret in the single form), and a secret's value is read with
GetSecretValue at most once per run, whether it is a composed secret's current value or a source
that several templates read. A generated secret's value is never read: it never changes. No value
ever leaves this module: results and diffs carry only "set" / "changed" / "unchanged"."""

from __future__ import annotations

import os

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.common import (
    diff_result,
    paginate,
    retrying_client,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.managed_secret import (
    SecretError,
    generate,
    render,
    secret_names,
    view,
)
from ansible_collections.pathwai.airflow_ecs.plugins.module_utils.tags import tag_changes


class Secrets:
    """Metadata and values read once per run, shared by every secret of the run."""

    def __init__(self, module, client, metas: dict | None = None):
        self.module = module
        self.client = client
        self.metas = metas  # name -> ListSecrets entry; None: DescribeSecret per name
        self.values: dict[str, str] = {}  # name -> value, read or written in this run
        self.planned: set[str] = set()  # created in check mode: no value to read
        self.key_arns: dict[str, str] = {}
        self._kms = None

    @classmethod
    def listed(cls, module, client, names: list[str]) -> Secrets:
        """One paginated ListSecrets for ``names`` (their common prefix; every secret if none)."""
        prefix = os.path.commonprefix(sorted(names))  # noqa: RUF071 (ListSecrets filters by characters)
        params = {"IncludePlannedDeletion": True}
        if prefix:
            params["Filters"] = [{"Key": "name", "Values": [prefix]}]
        found = paginate(client, "list_secrets", **params).get("SecretList", [])
        wanted = set(names)
        return cls(module, client, {m["Name"]: m for m in found if m["Name"] in wanted})

    def meta(self, name: str) -> dict | None:
        if self.metas is not None:
            return self.metas.get(name)
        try:
            return self.client.describe_secret(SecretId=name, aws_retry=True)
        except is_boto3_error_code("ResourceNotFoundException"):
            return None

    def value(self, name: str) -> str:
        if name not in self.values:
            self.values[name] = self.client.get_secret_value(SecretId=name, aws_retry=True)["SecretString"]
        return self.values[name]

    def same_key(self, wanted: str, current: str | None) -> bool:
        """Whether two key references (id, ARN, alias) name the same KMS key."""
        if current is None or wanted == current:
            return wanted == current
        if self._kms is None:
            self._kms = retrying_client(self.module, "kms")
        for ref in (wanted, current):
            if ref not in self.key_arns:
                self.key_arns[ref] = self._kms.describe_key(KeyId=ref, aws_retry=True)["KeyMetadata"]["Arn"]
        return self.key_arns[wanted] == self.key_arns[current]

    def compose(self, spec: dict) -> str | None:
        """The value a template gives now; None in check mode when a source is itself only planned."""
        sources = secret_names(spec["template"])
        if any(name in self.planned for name in sources):
            return None
        try:
            return render(
                spec["template"], {name: self.value(name) for name in sources}, spec["values"] or {}
            )
        except is_boto3_error_code("ResourceNotFoundException") as e:
            raise SecretError(f"{spec['name']}: a secret the template reads does not exist: {e}") from e
        except (KeyError, ValueError) as e:
            raise SecretError(f"{spec['name']}: cannot compose the value: {e}") from e

    def present(self, spec: dict, purge_tags: bool) -> dict:
        name = spec["name"]
        meta = self.meta(name)
        if meta is not None and meta.get("DeletedDate"):
            raise SecretError(
                f"{name}: the secret is scheduled for deletion; restore it (RestoreSecret) first"
            )
        if meta is None:
            return self._create(spec)
        if spec["generate"]:
            value, value_changed = None, False  # generated once: never read, never changed
        else:
            current = self.value(name)
            value = self.compose(spec)
            value_changed = value is None or value != current
        before = view(meta, "unchanged")
        after = dict(
            before, value="changed" if value_changed else "unchanged", description=spec["description"]
        )
        meta_changes = {}
        if spec["description"] != meta.get("Description", ""):
            meta_changes["Description"] = spec["description"]
        if spec["kms_key_id"] and not self.same_key(spec["kms_key_id"], meta.get("KmsKeyId")):
            meta_changes["KmsKeyId"] = spec["kms_key_id"]
        to_set, to_remove = tag_changes(before["tags"], spec["tags"], purge_tags)
        if spec["tags"] is not None:
            after["tags"] = {k: v for k, v in {**before["tags"], **to_set}.items() if k not in to_remove}
        if not (value_changed or meta_changes or to_set or to_remove):
            return dict(changed=False, value_changed=False, secret=before)
        if not self.module.check_mode:
            arn = meta["ARN"]
            if meta_changes:
                self.client.update_secret(SecretId=arn, **meta_changes, aws_retry=True)
            if value_changed:
                self.client.put_secret_value(SecretId=arn, SecretString=value, aws_retry=True)
                self.values[name] = value
            if to_remove:
                self.client.untag_resource(SecretId=arn, TagKeys=to_remove, aws_retry=True)
            if to_set:
                tags = [{"Key": k, "Value": v} for k, v in to_set.items()]
                self.client.tag_resource(SecretId=arn, Tags=tags, aws_retry=True)
            if "KmsKeyId" in meta_changes:
                after["kms_key_id"] = spec["kms_key_id"]
        return dict(changed=True, value_changed=value_changed, secret=after, diff=diff_result(before, after))

    def _create(self, spec: dict) -> dict:
        name = spec["name"]
        if not spec["kms_key_id"]:
            raise SecretError(f"{name}: kms_key_id is required to create the secret")
        after = {
            "name": name,
            "kms_key_id": spec["kms_key_id"],
            "tags": {k: str(v) for k, v in (spec["tags"] or {}).items()},
            "description": spec["description"],
            "value": "set",
        }
        if self.module.check_mode:
            if spec["template"]:
                self.compose(spec)  # a missing source fails the plan as it would fail the run
            self.planned.add(name)
            return dict(changed=True, value_changed=True, secret=after, diff=diff_result({}, after))
        value = generate(spec["generate"], spec["length"]) if spec["generate"] else self.compose(spec)
        request = dict(
            Name=name, Description=spec["description"], KmsKeyId=spec["kms_key_id"], SecretString=value
        )
        if spec["tags"]:
            request["Tags"] = [{"Key": k, "Value": str(v)} for k, v in spec["tags"].items()]
        created = self.client.create_secret(**request, aws_retry=True)
        self.values[name] = value
        after["arn"] = created["ARN"]
        return dict(changed=True, value_changed=True, secret=after, diff=diff_result({}, after))

    def absent(self, spec: dict) -> dict:
        meta = self.meta(spec["name"])
        if meta is None or meta.get("DeletedDate"):
            return dict(changed=False, value_changed=False, secret={})
        before = view(meta, "unchanged")
        if not self.module.check_mode:
            window = spec["recovery_window_in_days"]
            extra = {"ForceDeleteWithoutRecovery": True} if window == 0 else {"RecoveryWindowInDays": window}
            self.client.delete_secret(SecretId=meta["ARN"], **extra, aws_retry=True)
        return dict(changed=True, value_changed=True, secret=before, diff=diff_result(before, {}))

    def converge(self, spec: dict, purge_tags: bool) -> dict:
        if spec["state"] == "absent":
            return self.absent(spec)
        if bool(spec["generate"]) == bool(spec["template"]):
            raise SecretError(f"{spec['name']}: exactly one of generate and template is required")
        return self.present(spec, purge_tags)
