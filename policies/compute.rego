# The compute layer keeps its promises: least-privilege IAM, secrets only through `secrets`,
# the JWT secret only where allowed, read-only DAG mounts for Airflow, every container on a read-only
# root file system as a pinned non-root user (writable only on task-scoped volumes), an internal ALB with
# TLS 1.3 and OIDC, the Airflow 3 health path, and a Task Execution API path without OIDC; the
# target group forwards and health-checks over HTTPS (the api-server serves TLS).
package airflow.audit

import rego.v1

# Actions that have no resource-level permissions: "*" is the only valid Resource for them.
resource_star_allowed := {
	"ecr:GetAuthorizationToken",
	"cloudwatch:PutMetricData",
	"logs:DescribeLogGroups",
	"ssmmessages:CreateControlChannel",
	"ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel",
	"ssmmessages:OpenDataChannel",
}

# Environment variable names that carry credentials: they must come from `secrets`. Matched
# against the lower-cased name (regopy's regex engine has no (?i) flag).
secret_env_pattern := `(password|passwd|secret|token|fernet|jwt|sql_alchemy_conn|broker_url|result_backend|private_key)`

jwt_holders := {"api-server", "scheduler"}

# The one service that writes the DAG tree; every other service (worker pools included) mounts it read-only.
dag_writer := "dag-sync"

compute_items contains resource if {
	some resource in input.resource_changes
	resource.type in {"aws_iam_role", "aws_ecs_task_definition", "aws_lb", "aws_lb_listener", "aws_lb_target_group"}
}

deny contains msg if {
	some resource in compute_items
	resource.change.after.missing
	msg := sprintf("Compute resource missing: %s", [resource.address])
}

allowed_statements contains [resource, statement] if {
	some resource in compute_items
	resource.type == "aws_iam_role"
	some statement in resource.change.after.statements
	statement.effect == "Allow"
}

deny contains msg if {
	some [resource, statement] in allowed_statements
	some action in statement.actions
	contains(action, "*")
	msg := sprintf("IAM wildcard action %s: %s", [action, resource.address])
}

deny contains msg if {
	some [resource, statement] in allowed_statements
	count(statement.not_actions) > 0
	msg := sprintf("IAM NotAction allows everything else: %s", [resource.address])
}

deny contains msg if {
	some [resource, statement] in allowed_statements
	"*" in statement.resources
	some action in statement.actions
	not resource_star_allowed[action]
	msg := sprintf("IAM %s on Resource \"*\": %s", [action, resource.address])
}

deny contains msg if {
	some [resource, statement] in allowed_statements
	some action in statement.actions
	startswith(action, "kms:")
	some arn in statement.resources
	not regex.match(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$`, arn)
	msg := sprintf("IAM %s not limited to named key ARNs (%s): %s", [action, arn, resource.address])
}

deny contains msg if {
	some [resource, statement] in allowed_statements
	resource.change.after.service == "scheduler"
	some action in statement.actions
	lower(action) in {"ecs:runtask", "iam:passrole"}
	msg := sprintf("The scheduler may not %s (Celery needs neither): %s", [action, resource.address])
}

task_containers contains [resource, container] if {
	some resource in compute_items
	resource.type == "aws_ecs_task_definition"
	some container in resource.change.after.containers
}

deny contains msg if {
	some [resource, container] in task_containers
	some variable in container.environment
	regex.match(secret_env_pattern, lower(variable.name))
	msg := sprintf("Secret-like variable %s set as plain environment (use secrets/valueFrom): %s", [variable.name, resource.address])
}

deny contains msg if {
	some [resource, container] in task_containers
	some variable in container.environment
	regex.match(`://[^/\s:@]+:[^/\s@]+@`, variable.value)
	msg := sprintf("Credentials in the value of %s: %s", [variable.name, resource.address])
}

deny contains msg if {
	some [resource, container] in task_containers
	"AIRFLOW__API_AUTH__JWT_SECRET" in container.secrets
	not jwt_holders[resource.change.after.service]
	msg := sprintf("JWT secret given to %s (only api-server and scheduler): %s", [resource.change.after.service, resource.address])
}

efs_volumes(resource) := {volume.name | some volume in resource.change.after.volumes; volume.efs}

deny contains msg if {
	some [resource, container] in task_containers
	resource.change.after.service != dag_writer
	some mount in container.mount_points
	not mount.read_only
	mount.volume in efs_volumes(resource)
	msg := sprintf("Airflow container mounts %s writable (only dag-sync writes DAGs): %s", [mount.path, resource.address])
}

# Writable places are task-scoped volumes (Fargate ephemeral storage) or the DAG writer's EFS mount.
deny contains msg if {
	some [resource, container] in task_containers
	not container.readonly_root
	msg := sprintf("Container %s has a writable root file system (readonlyRootFilesystem): %s", [container.name, resource.address])
}

# A numeric uid other than 0 (a name could map to root in another image; "0" is root).
deny contains msg if {
	some [resource, container] in task_containers
	not regex.match(`^[0-9]+(:[0-9]+)?$`, object.get(container, "user", ""))
	msg := sprintf("Container %s does not pin a numeric user: %s", [container.name, resource.address])
}

deny contains msg if {
	some [resource, container] in task_containers
	regex.match(`^0+(:[0-9]+)?$`, object.get(container, "user", ""))
	msg := sprintf("Container %s runs as root (user %s): %s", [container.name, container.user, resource.address])
}

deny contains msg if {
	some resource in compute_items
	resource.type == "aws_ecs_task_definition"
	some volume in resource.change.after.volumes
	volume.efs
	not volume.transit_encryption == "ENABLED"
	msg := sprintf("EFS volume %s without transit encryption: %s", [volume.name, resource.address])
}

deny contains msg if {
	some resource in compute_items
	resource.type == "aws_ecs_task_definition"
	some volume in resource.change.after.volumes
	volume.efs
	not volume.iam == "ENABLED"
	msg := sprintf("EFS volume %s without IAM authorization: %s", [volume.name, resource.address])
}

deny contains msg if {
	some resource in compute_items
	resource.type == "aws_lb"
	not resource.change.after.missing
	resource.change.after.scheme != "internal"
	msg := sprintf("ALB is not internal: %s", [resource.address])
}

deny contains msg if {
	some resource in compute_items
	resource.type == "aws_lb_listener"
	resource.change.after.protocol != "HTTPS"
	msg := sprintf("Listener is not HTTPS: %s", [resource.address])
}

deny contains msg if {
	some resource in compute_items
	resource.type == "aws_lb_listener"
	not startswith(object.get(resource.change.after, "ssl_policy", ""), "ELBSecurityPolicy-TLS13-")
	msg := sprintf("Listener TLS policy is not TLS 1.3 (%v): %s", [object.get(resource.change.after, "ssl_policy", null), resource.address])
}

# Any listener whose default action forwards must authenticate first (OIDC).
deny contains msg if {
	some resource in compute_items
	resource.type == "aws_lb_listener"
	some action in resource.change.after.default_actions
	action.type == "forward"
	not resource.change.after.default_actions[0].type == "authenticate-oidc"
	msg := sprintf("Listener forwards without OIDC login: %s", [resource.address])
}

# Rules forward without OIDC only for the Task Execution API path.
deny contains msg if {
	some resource in compute_items
	resource.type == "aws_lb_listener"
	some rule in resource.change.after.rules
	rule.actions[0].type == "forward"
	some path in rule.paths
	not startswith(path, "/execution/")
	msg := sprintf("Rule forwards %s without OIDC: %s", [path, resource.address])
}

execution_paths contains path if {
	some resource in compute_items
	resource.type == "aws_lb_listener"
	some rule in resource.change.after.rules
	rule.actions[0].type == "forward"
	some path in rule.paths
	startswith(path, "/execution/")
}

deny contains msg if {
	input.required.compute
	count(execution_paths) == 0
	msg := sprintf("No listener forwards /execution/ without OIDC: the Task Execution API is unreachable for workers (%s)", [input.name_prefix])
}

deny contains msg if {
	some resource in compute_items
	resource.type == "aws_lb_target_group"
	not resource.change.after.missing
	resource.change.after.health_check_path != "/api/v2/monitor/health"
	msg := sprintf("Target group health path %s is not /api/v2/monitor/health: %s", [resource.change.after.health_check_path, resource.address])
}

# The target group's health-check protocol: the audit's flat field (airflow_audit), or the Terraform
# plan's health_check block (the gate's rendering).
target_group_health_protocol(after) := after.health_check_protocol if {
	"health_check_protocol" in object.keys(after)
} else := after.health_check[0].protocol if {
	count(object.get(after, "health_check", [])) > 0
} else := "unset"

deny contains msg if {
	some resource in compute_items
	resource.type == "aws_lb_target_group"
	not resource.change.after.missing
	protocol := object.get(resource.change.after, "protocol", "unset")
	protocol != "HTTPS"
	msg := sprintf("Target group forwards over %s, not HTTPS (the api-server serves TLS): %s", [protocol, resource.address])
}

deny contains msg if {
	some resource in compute_items
	resource.type == "aws_lb_target_group"
	not resource.change.after.missing
	protocol := target_group_health_protocol(resource.change.after)
	protocol != "HTTPS"
	msg := sprintf("Target group health check over %s, not HTTPS: %s", [protocol, resource.address])
}

# Each execution role reads exactly the secrets its task definition names (issue 16): no more (a
# task would hold credentials it never uses), no fewer (the task could not start).
secret_grants(role) := {arn |
	some statement in role.change.after.statements
	statement.effect == "Allow"
	some action in statement.actions
	lower(action) == "secretsmanager:getsecretvalue"
	some arn in statement.resources
}

deny contains msg if {
	some task in compute_items
	task.type == "aws_ecs_task_definition"
	not task.change.after.missing
	some role in compute_items
	role.type == "aws_iam_role"
	role.change.after.arn == task.change.after.execution_role_arn
	named := {arn | some container in task.change.after.containers; some arn in container.secret_arns}
	granted := secret_grants(role)
	granted != named
	msg := sprintf("Execution role %s may read %v, task definition %s names %v", [role.change.after.name, sort(granted), task.address, sort(named)])
}
