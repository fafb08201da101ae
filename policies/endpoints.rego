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
