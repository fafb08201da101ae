# The seed's policy (ADR-001, "Policy Validation (OPA)"), in OPA v1 syntax, unchanged in
# meaning: no NAT gateway, no security-group rule open to 0.0.0.0/0. Input: a document
# with `resource_changes` (the plan rendered from the inventory, or the live account).
package airflow.audit

import rego.v1

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_nat_gateway"
	msg := sprintf("NAT Gateway not allowed: %s", [resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_security_group_rule"
	some cidr in resource.change.after.cidr_blocks
	cidr == "0.0.0.0/0"
	msg := sprintf("Security group rule with 0.0.0.0/0 not allowed: %s", [resource.address])
}
