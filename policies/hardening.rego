# Issue 16's promises: buckets versioned with lifecycle rules for noncurrent versions and unfinished
# multipart uploads, and S3 server access logging (who wrote which DAG), except the buckets that
# receive AWS log deliveries (log_delivery: SSE-S3, checked in data.rego); log groups kept at least
# the environment's minimum; RDS enhanced monitoring where required; no ECS Exec where it is not
# allowed (prod).
package airflow.audit

import rego.v1

live_buckets contains resource if {
	some resource in input.resource_changes
	resource.type == "aws_s3_bucket"
	not resource.change.after.missing
	not resource.change.after.log_delivery
	"versioning" in object.keys(resource.change.after)
}

deny contains msg if {
	some resource in live_buckets
	resource.change.after.versioning != "Enabled"
	msg := sprintf("Bucket is not versioned (an overwrite leaves no trace): %s", [resource.address])
}

deny contains msg if {
	some resource in live_buckets
	not resource.change.after.expires_noncurrent_versions
	msg := sprintf("Bucket has no lifecycle rule expiring noncurrent versions: %s", [resource.address])
}

deny contains msg if {
	some resource in live_buckets
	not resource.change.after.aborts_incomplete_multipart
	msg := sprintf("Bucket has no lifecycle rule aborting incomplete multipart uploads: %s", [resource.address])
}

deny contains msg if {
	some resource in live_buckets
	object.get(resource.change.after, "logging_target", null) == null
	msg := sprintf("Bucket has no S3 server access logging (writes are not recorded): %s", [resource.address])
}

deny contains msg if {
	minimum := object.get(input.required, "min_log_retention_days", 0)
	minimum > 0
	some resource in input.resource_changes
	resource.type == "aws_cloudwatch_log_group"
	days := resource.change.after.retention_in_days
	days != null
	days < minimum
	msg := sprintf("Log group keeps %d days, less than %d in %s: %s", [days, minimum, input.env, resource.address])
}

deny contains msg if {
	input.required.rds_monitoring
	some resource in input.resource_changes
	resource.type == "aws_db_instance"
	not resource.change.after.missing
	not resource.change.after.monitoring_interval > 0
	msg := sprintf("RDS enhanced monitoring is off: %s", [resource.address])
}

deny contains msg if {
	input.required.rds_monitoring
	some resource in input.resource_changes
	resource.type == "aws_db_instance"
	resource.change.after.monitoring_interval > 0
	object.get(resource.change.after, "monitoring_role_arn", null) == null
	msg := sprintf("RDS enhanced monitoring has no role: %s", [resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_ecs_service"
	resource.change.after.missing
	msg := sprintf("Compute resource missing: %s", [resource.address])
}

deny contains msg if {
	object.get(input.required, "execute_command_allowed", true) == false
	some resource in input.resource_changes
	resource.type == "aws_ecs_service"
	resource.change.after.enable_execute_command == true
	msg := sprintf("ECS Exec is on in %s (interactive shells next to the credentials): %s", [input.env, resource.address])
}
