"""`chatstack policy`: run the policy pack's rules offline on what a stack would register.

The program is evaluated under mocks (`chatstack.offline.evaluation.evaluate_program`); each
registered resource becomes the `ResourceValidationArgs` / `PolicyResource` the Pulumi
engine would hand the pack, and every rule of `chatstack.policy.rules.POLICIES` runs
on them. Props go through pulumi-policy's own `unknown_checking_proxy`, so rules see
the same read-only Mapping/Sequence proxies as under `pulumi preview --policy-pack`.

Resource rules see inputs, stack rules see outputs (inputs plus what the provider
computed: ARNs, ids), as under the engine; offline, the outputs are the mocks'.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from chatstack.config import parse_config_overrides
from chatstack.offline.evaluation import ProgramRun, RegisteredResource, evaluate_program
from chatstack.policy.rules import POLICIES
from chatstack.project import read_stack_config, stack_names

STACK_URN = "(stack)"


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    resource: str
    type: str
    message: str


@dataclass
class StackReport:
    stack: str
    violations: list[Violation]
    # Set when the stack's config (or program) could not be evaluated: the stack failed.
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.mandatory

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == EnforcementLevel.MANDATORY.value]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level != EnforcementLevel.MANDATORY.value]

    def as_dict(self) -> dict:
        return {
            "stack": self.stack,
            "passed": self.passed,
            "error": self.error,
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            "violations": [asdict(v) for v in self.violations],
        }


def _options(resource: RegisteredResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent or None,
    )


def _props(resource: RegisteredResource):
    return unknown_checking_proxy(copy.deepcopy(resource.inputs))


def _output_props(resource: RegisteredResource):
    return unknown_checking_proxy(copy.deepcopy({**resource.inputs, **resource.computed}))


def resource_args(resource: RegisteredResource) -> ResourceValidationArgs:
    """What the engine's Analyze call gives a resource rule for this resource."""
    return ResourceValidationArgs(resource.type, _props(resource), resource.urn, resource.name,
                                  _options(resource), None)


def policy_resources(resources: Iterable[RegisteredResource]) -> list[PolicyResource]:
    """What the engine's AnalyzeStack gives a stack rule: parents and dependencies linked."""
    resources = list(resources)
    converted = {
        r.urn: PolicyResource(r.type, _output_props(r), r.urn, r.name, _options(r), None, None, [], {})
        for r in resources
    }
    for r in resources:
        target = converted[r.urn]
        target.parent = converted.get(r.parent)
        target.dependencies = [converted[d] for d in r.dependencies if d in converted]
    return list(converted.values())


def _run(result) -> None:
    """Finish an async rule in a private loop (as the engine's servicer does), leaving the
    thread's current event loop -- which the Pulumi runtime uses -- alone."""
    if result is not None and inspect.isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(_await(result))
        finally:
            loop.close()


async def _await(awaitable) -> None:
    await awaitable


def _check_policy(policy, level: EnforcementLevel, resources: list[RegisteredResource],
                  stack_resources: list[PolicyResource]) -> list[Violation]:
    by_urn = {r.urn: r for r in resources}
    found: list[Violation] = []

    def report(message: str, urn: str | None) -> None:
        resource = by_urn.get(urn or "")
        found.append(Violation(policy.name, level.value, urn or STACK_URN, resource.name if resource else "(stack)",
                               resource.type if resource else "", message))

    def guarded(validate) -> None:
        try:
            _run(validate())
        except _NotApplicableError:
            pass
        except UnknownValueError as error:  # cannot happen under mocks; reported rather than hidden
            found.append(Violation(policy.name, EnforcementLevel.ADVISORY.value, STACK_URN, "(stack)", "",
                                   f"could not run: {error.message}"))

    if isinstance(policy, ResourceValidationPolicy):
        for resource in resources:
            urn = resource.urn
            args = resource_args(resource)
            # The engine ignores the urn a resource rule reports: it is always the resource's own.
            guarded(lambda a=args, u=urn: policy.validate(a, lambda message, _urn=None, u=u: report(message, u)))
    elif isinstance(policy, StackValidationPolicy):
        args = StackValidationArgs(stack_resources)
        guarded(lambda: policy.validate(args, lambda message, urn=None: report(message, urn)))
    return found


def check_resources(
    resources: list[RegisteredResource],
    policies: Iterable[ResourceValidationPolicy | StackValidationPolicy] = POLICIES,
) -> list[Violation]:
    """Every violation of `policies` among `resources`, mandatory first."""
    stack_resources = policy_resources(resources)
    violations: list[Violation] = []
    for policy in policies:
        level = policy.enforcement_level or EnforcementLevel.ADVISORY
        if level == EnforcementLevel.DISABLED:
            continue
        if level == EnforcementLevel.REMEDIATE:  # as the engine does: a remaining violation is mandatory
            level = EnforcementLevel.MANDATORY
        violations += _check_policy(policy, level, resources, stack_resources)
    order = {EnforcementLevel.MANDATORY.value: 0}
    return sorted(violations, key=lambda v: (order.get(v.level, 1), v.policy, v.urn, v.message))


def check_run(run: ProgramRun) -> StackReport:
    return StackReport(run.stack, check_resources(run.resources))


def check_stack(stack: str, overrides: dict[str, str] | None = None, root: Path | None = None) -> StackReport:
    config = read_stack_config(stack, root)
    config.update(overrides or {})
    return check_run(evaluate_program(stack, root=root, config=config))


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """`key=value` pairs; keys without a namespace are `chatstack:` keys."""
    return parse_config_overrides(list(pairs))


def _report(name: str, overrides: dict[str, str], root: Path | None) -> StackReport:
    from appsync_local.manifest import ManifestError
    from chatstack.config import StackConfigError
    from chatstack.project import StackNotFoundError

    try:
        return check_stack(name, overrides, root)
    except (StackConfigError, StackNotFoundError, ManifestError) as error:
        return StackReport(name, [], error=str(error))


def run_cli(stacks: list[str] | None, all_stacks: bool, overrides: dict[str, str], output_format: str = "text",
            root: Path | None = None) -> int:
    """The `chatstack policy` command. Every stack is checked even when one fails; exit 0 when all
    pass, 1 on a mandatory violation, 2 when a stack's config could not be evaluated."""
    from chatstack.policy.formats import FORMATS

    names = stack_names(root) if all_stacks else list(stacks or [])
    reports = [_report(name, overrides, root) for name in names]
    print(FORMATS[output_format](reports))
    for report in reports:
        if report.error:
            print(f"chatstack policy: stack {report.stack}: {report.error}", file=sys.stderr)
    if any(r.error for r in reports):
        return 2
    return 1 if any(r.mandatory for r in reports) else 0
