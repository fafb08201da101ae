# Every store is encrypted with our key for its purpose and reachable only over TLS.
# Applies when the document carries the data layer (input.required.data).
package airflow.audit

import rego.v1

key_ids[purpose] := id if {
	some resource in input.resource_changes
	resource.type == "aws_kms_key"
	purpose := resource.change.after.purpose
	id := resource.change.after.id
}

store_purpose := {
	"aws_db_instance": "rds",
	"aws_elasticache_replication_group": "elasticache",
	"aws_efs_file_system": "efs",
	"aws_s3_bucket": "s3",
	"aws_secretsmanager_secret": "secrets",
	"aws_cloudwatch_log_group": "logs",
}

stores contains resource if {
	some resource in input.resource_changes
	store_purpose[resource.type]
}

deny contains msg if {
	some resource in stores
	resource.change.after.missing
	msg := sprintf("Store missing: %s", [resource.address])
}

deny contains msg if {
	some resource in stores
	not resource.change.after.missing
	not resource.change.after.log_delivery
	purpose := store_purpose[resource.type]
	object.get(resource.change.after, "key_id", null) != key_ids[purpose]
	msg := sprintf("Not encrypted with the %s CMK (alias/%s-%s): %s", [purpose, input.name_prefix, purpose, resource.address])
}

deny contains msg if {
	some resource in stores
	resource.type == "aws_db_instance"
	not resource.change.after.missing
	resource.change.after.force_ssl != "1"
	msg := sprintf("rds.force_ssl is not 1: %s", [resource.address])
}

deny contains msg if {
	some resource in stores
	resource.type == "aws_db_instance"
	resource.change.after.publicly_accessible == true
	msg := sprintf("Database is publicly accessible: %s", [resource.address])
}

deny contains msg if {
	some resource in stores
	resource.type == "aws_elasticache_replication_group"
	not resource.change.after.missing
	some flag in ["transit_encryption_enabled", "at_rest_encryption_enabled", "auth_token_enabled"]
	not resource.change.after[flag]
	msg := sprintf("Redis %s is off: %s", [flag, resource.address])
}

deny contains msg if {
	some resource in stores
	resource.type in {"aws_efs_file_system", "aws_s3_bucket"}
	not resource.change.after.missing
	not resource.change.after.tls_enforced
	msg := sprintf("Policy does not deny requests without TLS: %s", [resource.address])
}

deny contains msg if {
	some resource in stores
	resource.type == "aws_s3_bucket"
	not resource.change.after.missing
	not resource.change.after.public_access_blocked
	msg := sprintf("Bucket does not block all public access: %s", [resource.address])
}

# The documented exception to our own key (issues 15, 16): ALB access-log delivery and S3 server
# access-log delivery write only to SSE-S3 buckets. The buckets marked log_delivery must use SSE-S3;
# no other bucket may.
deny contains msg if {
	some resource in stores
	resource.type == "aws_s3_bucket"
	not resource.change.after.missing
	resource.change.after.log_delivery
	resource.change.after.sse_algorithm != "AES256"
	msg := sprintf("Log-delivery bucket must use SSE-S3 (AES256), the only encryption ALB and S3 access-log delivery accept: %s", [resource.address])
}

deny contains msg if {
	some resource in stores
	resource.type == "aws_s3_bucket"
	resource.change.after.sse_algorithm == "AES256"
	not resource.change.after.log_delivery
	msg := sprintf("SSE-S3 is allowed only for the log-delivery buckets (ALB and S3 access logs), not: %s", [resource.address])
}

deny contains msg if {
	some resource in input.resource_changes
	resource.type == "aws_lb"
	not resource.change.after.missing
	"access_logs_enabled" in object.keys(resource.change.after)
	resource.change.after.access_logs_enabled != "true"
	msg := sprintf("ALB access logs are off: %s", [resource.address])
}
