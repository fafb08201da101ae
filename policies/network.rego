# No path to the internet: no internet gateway, no default route, no open IPv6 rule,
# no public IPs on launch.
package airflow.audit

import rego.v1

open_destinations := {"0.0.0.0/0", "::/0"}

deny contains msg if {
	some resource in input.resource_changes
	resource.type in {"aws_internet_gateway", "aws_egress_only_internet_gateway"}
	msg := sprintf("Internet gateway not allowed: %s", [resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_route"
	resource.change.after.destination in open_destinations
	msg := sprintf("Route to %s not allowed: %s", [resource.change.after.destination, resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_route"
	target := resource.change.after.target
	some prefix in {"igw-", "nat-", "eigw-"}
	startswith(target, prefix)
	msg := sprintf("Route through %s not allowed: %s", [target, resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_security_group_rule"
	resource.change.after.type == "ingress"
	some cidr in resource.change.after.ipv6_cidr_blocks
	cidr == "::/0"
	msg := sprintf("Security group rule with ::/0 not allowed: %s", [resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_subnet"
	resource.change.after.map_public_ip_on_launch == true
	msg := sprintf("Subnet assigns public IPs: %s", [resource.address])
}

# VPC flow logs (issue 15): every VPC logs ALL traffic to a log group encrypted with a key of ours
# (the logs key, when the document names it).
full_flow_log(vpc_id) if {
	some resource in input.resource_changes
	resource.type == "aws_flow_log"
	resource.change.after.traffic_type == "ALL"
	object.get(resource.change.after, "vpc_id", vpc_id) == vpc_id
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_vpc"
	not full_flow_log(object.get(resource.change.after, "id", ""))
	msg := sprintf("VPC without a flow log of ALL traffic: %s", [resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_flow_log"
	object.get(resource.change.after, "log_group_key_id", null) in {null, ""}
	msg := sprintf("Flow-log group not encrypted with a key of ours: %s", [resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_flow_log"
	some key in input.resource_changes
	key.type == "aws_kms_key"
	key.change.after.purpose == "logs"
	key.change.after.id
	not object.get(resource.change.after, "log_group_key_id", null) in {null, ""}
	resource.change.after.log_group_key_id != key.change.after.id
	msg := sprintf("Flow-log group not encrypted with the logs key (alias/%s-logs): %s", [input.name_prefix, resource.address])
}
