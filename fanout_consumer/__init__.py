"""Batched fan-out: the DynamoDB stream consumer that republishes a room's new messages
as one `publishBatch` per flush. Deployed as an AWS Lambda (handler.handler) and run by
the local stack against moto's stream. Standard library + boto3/botocore only (what the
Lambda Python runtime ships)."""
