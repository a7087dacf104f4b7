"""The stack served on this machine: moto, the local AppSync endpoint and the batched fan-out, wired together."""
