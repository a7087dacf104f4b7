"""The `transform` hook every component offers (after SST v3): override any child's args.

A transform is keyed by the child's role (e.g. "table", "client") and is either a dict
shallow-merged into the child's args, or a callable `(args, opts)` that edits `args` in
place (or returns new args).
"""

from collections.abc import Callable, Mapping
from typing import Any

import pulumi

Transform = Mapping[str, Any] | Callable[[dict[str, Any], pulumi.ResourceOptions], Any]
Transforms = Mapping[str, Transform]
# How component args declare `transform` (the form Pulumi's component analyzer and other
# languages see): child role -> args merged into that child's. Python callers may give a
# callable per role too (Transform): apply_transform takes both.
TransformArgs = dict[str, dict[str, Any]]


def apply_transform(
    transforms: Transforms | None, role: str, args: dict[str, Any], opts: pulumi.ResourceOptions
) -> dict[str, Any]:
    transform = (transforms or {}).get(role)
    if transform is None:
        return args
    if callable(transform):
        returned = transform(args, opts)
        return args if returned is None else dict(returned)
    return {**args, **transform}


def child_maker(parent: pulumi.Resource, transforms: Transforms | None) -> Callable[..., Any]:
    """`make(role, factory, name, props, **options)`: a child of `parent` whose args went through
    the transform for its role (options such as depends_on join parent=)."""
    def make(role: str, factory: Any, resource_name: str, props: dict[str, Any], **options: Any) -> Any:
        opts = pulumi.ResourceOptions(parent=parent, **options)
        return factory(resource_name, **apply_transform(transforms, role, props, opts), opts=opts)

    return make


def check_roles(transforms: Transforms | None, roles: set[str], component: str) -> None:
    """A transform for a child that does not exist is a typo: fail instead of ignoring it."""
    unknown = set(transforms or {}) - roles
    if unknown:
        raise ValueError(f"{component}: no child named {sorted(unknown)}; children are {sorted(roles)}")
