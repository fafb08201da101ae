# Every AWS service the platform uses is reached through a VPC endpoint: each required
# interface endpoint exists, is available (or planned) and has private DNS on; the S3
# gateway endpoint exists.
package airflow.audit

import rego.v1

endpoints[service] := after if {
	some resource in input.resource_changes
	resource.type == "aws_vpc_endpoint"
	after := resource.change.after
	service := after.service_name
}

deny contains msg if {
	some service in input.required.interface_endpoints
	not endpoints[service]
	msg := sprintf("Required interface endpoint missing: %s", [service])
}

deny contains msg if {
	some service in input.required.interface_endpoints
	endpoint := endpoints[service]
	not endpoint.private_dns_enabled
	msg := sprintf("Interface endpoint without private DNS: %s (%s)", [service, endpoint.id])
}

deny contains msg if {
	some service in input.required.interface_endpoints
	endpoint := endpoints[service]
	not endpoint.state in {"available", "planned"}
	msg := sprintf("Interface endpoint not available: %s (%s, state %s)", [service, endpoint.id, endpoint.state])
}

deny contains msg if {
	some service in input.required.gateway_endpoints
	not endpoints[service]
	msg := sprintf("Required gateway endpoint missing: %s", [service])
}

# Endpoint policies (issue 15): every endpoint of a service that takes an endpoint policy has one,
# and it allows only this account's principals - on this account's resources for interface
# endpoints, on named buckets for the S3 gateway (plus GetObject on the region's ECR layer bucket,
# whose pre-signed URLs ECR signs). ecs takes no endpoint policy (AWS's ECS guide).
no_endpoint_policy := {"ecs"}

endpoint_short_name(service) := name if {
	parts := split(service, ".")
	name := concat(".", array.slice(parts, 3, count(parts)))
}

endpoint_policy(after) := json.unmarshal(after.policy) if {
	is_string(after.policy)
} else := after.policy if {
	is_object(after.policy)
}

# The plan document and the live read say endpoint_type; the Terraform rendering vpc_endpoint_type.
endpoint_kind(after) := object.get(after, "endpoint_type", object.get(after, "vpc_endpoint_type", ""))

as_list(value) := value if {
	is_array(value)
} else := [value]

policy_endpoints contains [resource.address, after] if {
	some resource in input.resource_changes
	resource.type == "aws_vpc_endpoint"
	after := resource.change.after
	not endpoint_short_name(after.service_name) in no_endpoint_policy
}

deny contains msg if {
	some [address, after] in policy_endpoints
	not endpoint_policy(after)
	msg := sprintf("Endpoint without a policy (AWS's default allows everything): %s", [address])
}

ecr_layers(statement) if {
	statement.Action == "s3:GetObject"
	not statement.Condition
	every arn in as_list(statement.Resource) {
		regex.match(`^arn:aws:s3:::prod-[a-z0-9-]+-starport-layer-bucket/\*$`, arn)
	}
}

own_account(statement, key) if {
	regex.match(`^[0-9]{12}$`, statement.Condition.StringEquals[key])
}

deny contains msg if {
	some [address, after] in policy_endpoints
	doc := endpoint_policy(after)
	some statement in doc.Statement
	statement.Effect == "Allow"
	not ecr_layers(statement)
	not own_account(statement, "aws:PrincipalAccount")
	msg := sprintf("Endpoint policy statement %v not limited to this account's principals (aws:PrincipalAccount): %s", [object.get(statement, "Sid", "?"), address])
}

deny contains msg if {
	some [address, after] in policy_endpoints
	endpoint_kind(after) == "Interface"
	doc := endpoint_policy(after)
	some statement in doc.Statement
	statement.Effect == "Allow"
	not own_account(statement, "aws:ResourceAccount")
	msg := sprintf("Endpoint policy statement %v not limited to this account's resources (aws:ResourceAccount): %s", [object.get(statement, "Sid", "?"), address])
}

deny contains msg if {
	some [address, after] in policy_endpoints
	doc := endpoint_policy(after)
	some statement in doc.Statement
	statement.Effect == "Allow"
	some action in as_list(statement.Action)
	endpoint_kind(after) == "Interface"
	wide_action(action)
	msg := sprintf("Endpoint policy allows every action (%s): %s", [action, address])
}

wide_action(action) if action == "*"

wide_action(action) if startswith(split(action, ":")[1], "*")

deny contains msg if {
	some [address, after] in policy_endpoints
	endpoint_kind(after) == "Gateway"
	doc := endpoint_policy(after)
	some statement in doc.Statement
	statement.Effect == "Allow"
	some arn in as_list(statement.Resource)
	contains(arn, "*")
	not ecr_layers(statement)
	not regex.match(`^arn:aws:s3:::[a-z0-9.-]+/\*$`, arn)
	msg := sprintf("S3 endpoint policy reaches buckets it does not name (%s): %s", [arn, address])
}
