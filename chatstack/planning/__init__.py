"""Capacity planning: quotas, prices, the key design and the plan a stack is sized from."""
