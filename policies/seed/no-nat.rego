package terraform.analysis

deny[msg] {
  resource := input.resource_changes[_]
  resource.type == "aws_nat_gateway"
  msg := sprintf("NAT Gateway not allowed: %s", [resource.address])
}

deny[msg] {
  resource := input.resource_changes[_]
  resource.type == "aws_security_group_rule"
  resource.change.after.cidr_blocks[_] == "0.0.0.0/0"
  msg := sprintf("Security group rule with 0.0.0.0/0 not allowed: %s", [resource.address])
}
