# Event-mode DAG delivery (input.required.dag_events): the DAG-events queue is encrypted with our s3
# key, admits only S3 on behalf of the DAGs bucket of this account, redrives to a dead-letter queue
# that exists and is encrypted too, and the DAGs bucket notifies it of every object created or
# removed under this environment's prefix.
package airflow.audit

import rego.v1

queues[role] := resource if {
	some resource in input.resource_changes
	resource.type == "aws_sqs_queue"
	role := resource.change.after.role
}

deny contains msg if {
	input.required.dag_events
	some role in ["dag_events", "dag_events_dlq"]
	not queues[role].change.after.arn
	msg := sprintf("DAG-events queue missing (%s)", [role])
}

deny contains msg if {
	input.required.dag_events
	some resource in input.resource_changes
	resource.type == "aws_sqs_queue"
	not resource.change.after.missing
	object.get(resource.change.after, "key_id", null) != key_ids.s3
	msg := sprintf("Queue not encrypted with the s3 CMK (alias/%s-s3): %s", [input.name_prefix, resource.address])
}

deny contains msg if {
	input.required.dag_events
	queue := queues.dag_events.change.after
	queue.arn
	not queue.dead_letter_target == queues.dag_events_dlq.change.after.arn
	msg := sprintf("DAG-events queue has no redrive to its dead-letter queue: %s", [queues.dag_events.address])
}

deny contains msg if {
	input.required.dag_events
	queue := queues.dag_events.change.after
	queue.arn
	some statement in queue.policy.Statement
	statement.Effect == "Allow"
	not admits_only_the_bucket(statement, queue)
	msg := sprintf("DAG-events queue policy admits more than S3 for bucket %s of this account: %s", [queue.source_bucket, queues.dag_events.address])
}

deny contains msg if {
	input.required.dag_events
	queue := queues.dag_events.change.after
	queue.arn
	count([s | some s in queue.policy.Statement; s.Effect == "Allow"]) == 0
	msg := sprintf("DAG-events queue policy does not let S3 send: %s", [queues.dag_events.address])
}

admits_only_the_bucket(statement, queue) if {
	statement.Principal == {"Service": "s3.amazonaws.com"}
	as_list(statement.Action) == ["sqs:SendMessage"]
	source_arn(statement.Condition) == sprintf("arn:aws:s3:::%s", [queue.source_bucket])
	statement.Condition.StringEquals["aws:SourceAccount"] == queue.account
}

source_arn(condition) := condition.ArnEquals["aws:SourceArn"]

source_arn(condition) := condition.ArnLike["aws:SourceArn"] if not condition.ArnEquals

deny contains msg if {
	input.required.dag_events
	some resource in input.resource_changes
	resource.type == "aws_s3_bucket_notification"
	after := resource.change.after
	not notifies_the_queue(after)
	msg := sprintf("DAGs bucket %s does not notify the DAG-events queue of objects created and removed under %s", [after.id, after.prefix])
}

notifies_the_queue(after) if {
	some config in after.queues
	config.queue_arn == queues.dag_events.change.after.arn
	config.prefix == after.prefix
	"s3:ObjectCreated:*" in config.events
	"s3:ObjectRemoved:*" in config.events
}
