"""The event's single DynamoDB table: MESSAGE and THREAD rows (see chatstack.planning.table_design)."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chatstack.planning import table_design
from components.alarm_topic import notify
from components.transforms import TransformArgs, apply_transform, check_roles


@dataclass
class ChatTableArgs:
    physical_name: str
    tags: dict[str, str]
    billing_mode: str = "PAY_PER_REQUEST"  # or PROVISIONED
    # Provisioned mode: the floor and ceiling autoscaling moves between.
    min_read_capacity: int = 5
    max_read_capacity: int = 100
    min_write_capacity: int = 5
    max_write_capacity: int = 100
    # On-demand mode: a ceiling so a runaway client cannot run up an unbounded bill.
    max_read_request_units: int | None = None
    max_write_request_units: int | None = None
    point_in_time_recovery: bool = True
    deletion_protection: bool = True
    # Where the throttling alarm notifies (the stack's AlarmTopic); None: an alarm without actions.
    alarm_topic_arn: pulumi.Input[str] | None = None
    transform: TransformArgs | None = None


def autoscaled_capacity_paths() -> list[str]:
    """The table inputs application autoscaling changes behind Pulumi's back (provisioned mode)."""
    paths = ["readCapacity", "writeCapacity"]
    for index in range(len(table_design.GLOBAL_SECONDARY_INDEXES)):
        paths += [f"globalSecondaryIndexes[{index}].readCapacity", f"globalSecondaryIndexes[{index}].writeCapacity"]
    return paths


class ChatTable(pulumi.ComponentResource):
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    stream_arn: pulumi.Output[str]

    ROLES = {"table", "readScaling", "writeScaling", "alarms"}

    def __init__(self, name: str, args: ChatTableArgs, opts: pulumi.ResourceOptions | None = None):
        if args.billing_mode not in ("PAY_PER_REQUEST", "PROVISIONED"):
            raise ValueError(f"ChatTable: billing_mode is PAY_PER_REQUEST or PROVISIONED, not {args.billing_mode!r}")
        super().__init__("chatstack:index:ChatTable", name, {}, opts)
        check_roles(args.transform, self.ROLES, "ChatTable")
        provisioned = args.billing_mode == "PROVISIONED"

        table_args: dict = {
            "name": args.physical_name,
            "billing_mode": args.billing_mode,
            "hash_key": table_design.PARTITION_KEY,
            "range_key": table_design.SORT_KEY,
            "attributes": [{"name": n, "type": t} for n, t in table_design.ATTRIBUTES.items()],
            "global_secondary_indexes": [
                {
                    "name": gsi["name"],
                    "key_schemas": [
                        {"attribute_name": gsi["partition_key"], "key_type": "HASH"},
                        {"attribute_name": gsi["sort_key"], "key_type": "RANGE"},
                    ],
                    "projection_type": gsi["projection"],
                    **(
                        {"read_capacity": args.min_read_capacity, "write_capacity": args.min_write_capacity}
                        if provisioned
                        else {}
                    ),
                }
                for gsi in table_design.GLOBAL_SECONDARY_INDEXES
            ],
            # Streams feed batched fan-out and any downstream consumer (archive, analytics). The
            # view type cannot change without a new stream (new ARN, consumers re-pointed, records
            # lost in between), so it is decided once: NEW_AND_OLD_IMAGES. Fan-out reads NewImage;
            # an audit of a deletion or a settings change needs the row before it (the text a
            # moderator removed, the old settings). Lambda's stream reads cost nothing extra.
            "stream_enabled": True,
            "stream_view_type": "NEW_AND_OLD_IMAGES",
            # Enabled even when retention is 0: rows without expiresAt never expire.
            "ttl": {"attribute_name": table_design.TTL_ATTRIBUTE, "enabled": True},
            "point_in_time_recovery": {"enabled": args.point_in_time_recovery},
            "server_side_encryption": {"enabled": True},
            "deletion_protection_enabled": args.deletion_protection,
            "tags": args.tags,
        }
        if provisioned:
            table_args["read_capacity"] = args.min_read_capacity
            table_args["write_capacity"] = args.min_write_capacity
        elif args.max_read_request_units or args.max_write_request_units:
            table_args["on_demand_throughput"] = {
                "max_read_request_units": args.max_read_request_units,
                "max_write_request_units": args.max_write_request_units,
            }

        table_opts = pulumi.ResourceOptions(
            parent=self,
            protect=args.deletion_protection,
            retain_on_delete=args.deletion_protection,
            # Autoscaling owns the table's and every index's capacity once provisioned; without
            # the index paths each `pulumi up` resets the indexes to their minimum mid-event.
            ignore_changes=autoscaled_capacity_paths() if provisioned else None,
        )
        table_args = apply_transform(args.transform, "table", table_args, table_opts)
        table = aws.dynamodb.Table(f"{name}-table", **table_args, opts=table_opts)

        if provisioned:
            # The table and every index scale: a throttled index throttles writes to the table.
            scaled = [("table", "", None)] + [
                ("index", f"-{gsi['name'].lower()}", gsi["name"]) for gsi in table_design.GLOBAL_SECONDARY_INDEXES
            ]
            for level, suffix, index in scaled:
                for role, dimension, low, high in (
                    ("readScaling", "Read", args.min_read_capacity, args.max_read_capacity),
                    ("writeScaling", "Write", args.min_write_capacity, args.max_write_capacity),
                ):
                    self._autoscale(f"{name}{suffix}", role, table, level, index, dimension, low, high, args)

        self._throttle_alarm(name, table, args)
        self.name = table.name
        self.arn = table.arn
        self.stream_arn = table.stream_arn
        self.register_outputs({"name": self.name, "arn": self.arn, "streamArn": self.stream_arn})

    def _throttle_alarm(self, name: str, table: aws.dynamodb.Table, args: ChatTableArgs) -> None:
        """Throttled reads or writes on the table or its indexes for 2 of 3 minutes: sends, joins
        or history loads are failing (raise the on-demand ceiling or provisioned maximum)."""
        def events(query_id: str, metric: str) -> dict:
            return {"id": query_id, "return_data": False, "metric": {
                "namespace": "AWS/DynamoDB", "metric_name": metric, "stat": "Sum", "period": 60,
                "dimensions": {"TableName": table.name}}}

        opts = pulumi.ResourceOptions(parent=self)
        alarm_args = apply_transform(args.transform, "alarms", {
            "name": f"{args.physical_name}-throttles",
            "metric_queries": [
                events("reads", "ReadThrottleEvents"), events("writes", "WriteThrottleEvents"),
                {"id": "throttled", "return_data": True, "label": "throttled reads + writes",
                 "expression": "FILL(reads, 0) + FILL(writes, 0)"},
            ],
            "evaluation_periods": 3,
            "datapoints_to_alarm": 2,
            "threshold": 0,
            "comparison_operator": "GreaterThanThreshold",
            "treat_missing_data": "notBreaching",
            **notify(args.alarm_topic_arn),
            "tags": args.tags,
        }, opts)
        aws.cloudwatch.MetricAlarm(f"{name}-throttles", **alarm_args, opts=opts)

    def _autoscale(self, name, role, table, level, index, dimension, low, high, args: ChatTableArgs) -> None:
        target_opts = pulumi.ResourceOptions(parent=self)
        target = aws.appautoscaling.Target(
            f"{name}-{dimension.lower()}-target",
            service_namespace="dynamodb",
            resource_id=table.name.apply(lambda n: f"table/{n}" + (f"/index/{index}" if index else "")),
            scalable_dimension=f"dynamodb:{level}:{dimension}CapacityUnits",
            min_capacity=low,
            max_capacity=high,
            tags=args.tags,
            opts=target_opts,
        )
        policy_opts = pulumi.ResourceOptions(parent=self)
        policy_args = apply_transform(
            args.transform,
            role,
            {
                "policy_type": "TargetTrackingScaling",
                "resource_id": target.resource_id,
                "scalable_dimension": target.scalable_dimension,
                "service_namespace": target.service_namespace,
                "target_tracking_scaling_policy_configuration": {
                    "predefined_metric_specification": {
                        "predefined_metric_type": f"DynamoDB{dimension}CapacityUtilization",
                    },
                    "target_value": 70,
                },
            },
            policy_opts,
        )
        aws.appautoscaling.Policy(f"{name}-{dimension.lower()}-scaling", **policy_args, opts=policy_opts)
