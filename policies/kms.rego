# Every store is encrypted with our own keys: each purpose has its customer-managed key,
# each key rotates, and only the account root holds kms:*.
package airflow.audit

import rego.v1

keys[purpose] := after if {
	some resource in input.resource_changes
	resource.type == "aws_kms_key"
	after := resource.change.after
	purpose := after.purpose
}

deny contains msg if {
	some purpose in input.required.kms_purposes
	not keys[purpose]
	msg := sprintf("Customer-managed KMS key missing for %s (alias/%s-%s)", [purpose, input.name_prefix, purpose])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_kms_key"
	not resource.change.after.enable_key_rotation
	msg := sprintf("KMS key rotation off: %s", [resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_kms_key"
	some statement in resource.change.after.policy.Statement
	statement.Effect == "Allow"
	"kms:*" in as_list(statement.Action)
	some principal in as_list(object.get(statement.Principal, "AWS", "*"))
	not endswith(principal, ":root")
	msg := sprintf("KMS key policy grants kms:* to %s: %s", [principal, resource.address])
}

as_list(value) := value if is_array(value)

as_list(value) := [value] if not is_array(value)
