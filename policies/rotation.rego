# Every rotated secret is younger than its maximum age (rotate_secrets_max_age_days): the age of its
# current value (its AWSCURRENT version) as the live audit reads it. playbooks/rotate_secrets.yml rotates
# what is due. Applies to the live account (the plan has no ages).
package airflow.audit

import rego.v1

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_secretsmanager_secret"
	age := resource.change.after.age_days
	age != null
	parts := split(resource.address, "/")
	maximum := object.get(input.required, "secret_max_age_days", {})[parts[count(parts) - 1]]
	age > maximum
	msg := sprintf("Secret older than its maximum age (%.1f days, at most %v; playbooks/rotate_secrets.yml rotates it): %s", [age, maximum, resource.address])
}
