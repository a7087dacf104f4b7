"""chatstack: per-event real-time chat backends on AWS, provisioned with Pulumi.

config: the stack's settings; project: where the Pulumi project is; planning/: capacity,
quotas and cost; policy/: the policy pack's rules and offline runner; offline/: the program
evaluated under mocks (preview); local/: the stack served on this machine; cli: `chatstack`.
"""
