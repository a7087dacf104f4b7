"""GraphQL over the local resolver runtime, as AppSync executes it.

Parses and validates with graphql-core against the deployed schema plus the local
PRELUDE, checks the auth directives field by field (`@aws_cognito_user_pools`,
`cognito_groups`), runs every field that has a resolver through the `ResolverRuntime`,
formats errors in AppSync's shape, and reports what `@aws_subscribe` mutations
published (the mutation's *selection set* result, see `published_payloads`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    build_schema,
    execute,
    get_named_type,
    parse,
    print_ast,
    specified_rules,
    validate,
)
from graphql.execution.executor import Executor
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Path, Undefined
from graphql.validation import NoSchemaIntrospectionCustomRule

from appsync_local.contract import FieldResult, ResolverRuntime
from appsync_local.server.scalars import AUTH_DIRECTIVES, PRELUDE, ScalarSerializationError, install_scalars

COGNITO = "AMAZON_COGNITO_USER_POOLS"
IAM = "AWS_IAM"
OIDC = "OPENID_CONNECT"
_MODE_DIRECTIVE = {COGNITO: "aws_cognito_user_pools", IAM: "aws_iam", OIDC: "aws_oidc"}


class FieldError(Exception):
    """An error AppSync reports for one field (util.error, Unauthorized, ...)."""

    def __init__(self, message: str, error_type: str | None = None, data: Any = None, error_info: Any = None):
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.data = data
        self.error_info = error_info


@dataclass
class RequestContext:
    identity: dict[str, Any] | None
    groups: tuple[str, ...]
    headers: dict[str, str]
    variables: dict[str, Any]
    document: DocumentNode
    auth_mode: str = COGNITO
    appended: list[dict[str, Any]] = field(default_factory=list)
    invalidations: list[dict[str, Any]] = field(default_factory=list)
    resolver_calls: int = 0
    in_flight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(REQUEST_RESOLVER_CONCURRENCY))


class _IterativeSerialExecutor(Executor):
    """graphql-core chains a mutation's root fields into nested awaitables (RecursionError at
    ~1,000 aliased mutations); this runs them one after another in a loop instead."""

    def execute_fields_serially(self, parent_type, source_value, path, grouped_field_set, position_context):
        async def run_in_order() -> dict[str, Any]:
            results: dict[str, Any] = {}
            for response_name, field_details_list in grouped_field_set.items():
                if self.abort_signal is not None and self.abort_signal.aborted:
                    raise self.abort_error()
                result = self.execute_field(parent_type, source_value, field_details_list,
                                            Path(path, response_name, parent_type.name), position_context)
                if result is Undefined:
                    continue
                if self.is_awaitable(result):
                    result = await result
                results[response_name] = result
            return results

        return run_in_order()


@dataclass
class GraphQLResponse:
    status: int
    body: dict[str, Any]
    # (subscription field, mutation field, payload by field name) for each publish.
    published: list[tuple[str, str, Any]] = field(default_factory=list)
    # extensions.invalidateSubscriptions calls: {"subscriptionField", "payload"}.
    invalidations: list[dict[str, Any]] = field(default_factory=list)
    # `body` as compact JSON, when execution already encoded it (large responses).
    encoded: str | None = None


@dataclass
class PreparedSubscription:
    field_name: str
    arguments: dict[str, Any]
    field_node: FieldNode
    fragments: dict[str, FragmentDefinitionNode]
    return_type: GraphQLObjectType
    filter_group: Any = None
    invalidation_filter: Any = None


def location_list(error: GraphQLError) -> list[dict[str, Any]]:
    return [{"line": loc.line, "column": loc.column, "sourceName": None} for loc in (error.locations or [])]


def format_error(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    entry: dict[str, Any] = {
        "path": error.path,
        "data": None,
        "errorType": None,
        "errorInfo": None,
        "locations": location_list(error),
        "message": error.message,
    }
    if isinstance(original, FieldError):
        entry.update(errorType=original.error_type, data=original.data, errorInfo=original.error_info)
    elif isinstance(original, ScalarSerializationError):
        path = "/" + "/".join(str(p) for p in (error.path or []))
        entry.update(errorType="SerializationError", message=f"Can't serialize value ({path}) : {original}")
    elif original is not None:
        entry.update(errorType="InternalFailure")
    return entry


PARSE_CACHE_SIZE = 512  # distinct query texts kept parsed and validated (oldest dropped first)
PARSE_CACHE_MAX_QUERY = 64 * 1024  # longer query texts are not cached
# Uncached query texts longer than this are parsed and validated on a thread of their own, so a
# client sending huge documents queues behind itself, not in front of everyone's small queries.
LARGE_QUERY = 8 * 1024
# Lexical tokens (and comments) a document may have: parsing, validating and executing cost
# grows with them, so this bounds one request's work. A local limit (AppSync documents only
# its 1 MB request size): client documents are far smaller; the largest accepted is ~100 KB.
MAX_QUERY_TOKENS = 20_000
MAX_QUERY_COMMENTS = 1_000
# AppSync's resolverCountLimit: 0 (unset) means 10,000 resolver invocations per request.
DEFAULT_RESOLVER_COUNT_LIMIT = 10_000
RESOLVER_LIMIT_ERROR_TYPE = "ResolverExecutionLimitReached"
RESOLVER_LIMIT_MESSAGE = "Resolver invocation limit reached"
# Resolver calls of one request in flight at once: a request with hundreds of fields takes
# turns on the shared resolver threads instead of queueing all of them ahead of other requests.
REQUEST_RESOLVER_CONCURRENCY = 2


def request_error(message: str, error_type: str | None = None, locations: list | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": None, "locations": locations or [], "message": message}
    if error_type:
        entry["errorType"] = error_type
    return entry


def collect_fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from collect_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            yield from collect_fields(fragments[selection.name.value].selection_set, fragments)


def by_field_name(value: Any, selection_set: SelectionSetNode | None, fragments: dict) -> Any:
    """A response value re-keyed by field names (aliases undone): what a mutation publishes."""
    if value is None or selection_set is None:
        return value
    if isinstance(value, list):
        return [by_field_name(item, selection_set, fragments) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for node in collect_fields(selection_set, fragments):
        key = node.alias.value if node.alias else node.name.value
        if key not in value:
            continue
        child = by_field_name(value[key], node.selection_set, fragments)
        name = node.name.value
        if isinstance(out.get(name), dict) and isinstance(child, dict):
            out[name] = {**out[name], **child}
        else:
            out[name] = child
    return out


def _fields_of(selection_set: SelectionSetNode | None, fragments: dict,
               type_name: str | None) -> Iterator[FieldNode]:
    """The fields selected on type `type_name` itself: a fragment on another type (a member of
    an interface or union) contributes nothing, as AppSync documents for selectionSetList."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
            continue
        if isinstance(selection, InlineFragmentNode):
            condition, inner = selection.type_condition, selection.selection_set
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            fragment = fragments[selection.name.value]
            condition, inner = fragment.type_condition, fragment.selection_set
        else:
            continue
        if condition is None or type_name is None or condition.name.value == type_name:
            yield from _fields_of(inner, fragments, type_name)


def selection_set_list(selection_set: SelectionSetNode | None, fragments: dict, field_type: Any = None,
                       prefix: str = "") -> list[str]:
    """ctx.info.selectionSetList: every selected field path, nested with '/', aliased fields by
    their alias only, no __typename, and only fields of the field's own type (`field_type`, the
    named return type; None: every fragment counts)."""
    paths: list[str] = []
    type_name = getattr(field_type, "name", None)
    type_fields = getattr(field_type, "fields", None) or {}
    for node in _fields_of(selection_set, fragments, type_name):
        name = node.name.value
        if name.startswith("__"):
            continue
        path = f"{prefix}{node.alias.value if node.alias else name}"
        if path not in paths:
            paths.append(path)
        child_type = get_named_type(type_fields[name].type) if name in type_fields else None
        for child in selection_set_list(node.selection_set, fragments, child_type, f"{path}/"):
            if child not in paths:
                paths.append(child)
    return paths


def as_selected(value: Any, selection_set: SelectionSetNode | None, fragments: dict) -> Any:
    """`value` shaped as the response would carry it: only the selected fields, under their
    aliases (AppSync: an error's `data` is filtered by the query's selection set)."""
    if value is None or selection_set is None:
        return value
    if isinstance(value, list):
        return [as_selected(item, selection_set, fragments) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for node in collect_fields(selection_set, fragments):
        name = node.name.value
        key = node.alias.value if node.alias else name
        if name in value and key not in out:
            out[key] = as_selected(value[name], node.selection_set, fragments)
    return out


def _directive_args(node: Any) -> dict[str, Any]:
    from graphql import value_from_ast_untyped

    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in (node.arguments or [])}


class GraphQLEndpoint:
    def __init__(
        self,
        schema_sdl: str,
        runtime: ResolverRuntime,
        *,
        default_auth: str = COGNITO,
        introspection: bool = True,
        query_depth_limit: int = 0,
        resolver_count_limit: int = 0,
        runtime_workers: int = 4,
    ):
        self.schema: GraphQLSchema = build_schema(PRELUDE + schema_sdl)
        install_scalars(self.schema)
        self.runtime = runtime
        self.default_auth = default_auth
        self.rules = list(specified_rules) + ([] if introspection else [NoSchemaIntrospectionCustomRule])
        # With introspection off, "Did you mean ...?" in errors would leak the schema piecemeal.
        self.hide_suggestions = not introspection
        self.query_depth_limit = query_depth_limit
        self.resolver_count_limit = resolver_count_limit or DEFAULT_RESOLVER_COUNT_LIMIT
        self._parsed: dict[str, tuple[DocumentNode | None, list[dict]]] = {}
        # Resolver calls run on worker threads, each with its own JS engine (the runtime keeps
        # one per thread); several let requests overlap while one waits on DynamoDB.
        self._pool = ThreadPoolExecutor(max_workers=runtime_workers, thread_name_prefix="resolver-runtime")
        # Backend (IAM) callers get workers of their own: a moderation pipeline holding a client
        # worker calls publishRoomEvent on this endpoint (an HTTP data source, IAM), and that call
        # must never wait behind the very requests that wait on it (four concurrent moderation
        # actions held every worker until the self-calls timed out). The fan-out consumer's
        # publishBatch is IAM too: client load cannot starve delivery.
        self._backend_pool = ThreadPoolExecutor(max_workers=runtime_workers, thread_name_prefix="resolver-backend")
        # Parsing and validating a new query text costs milliseconds to seconds (a 1 MB document):
        # never on the event loop. Large texts get their own thread (see LARGE_QUERY).
        self._parse_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphql-parse")
        self._large_parse_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphql-parse-large")
        self._side_loop: asyncio.AbstractEventLoop | None = None
        self.subscribers_of: dict[str, list[str]] = {}
        subscription_type = self.schema.subscription_type
        for name, definition in (subscription_type.fields if subscription_type else {}).items():
            for directive in definition.ast_node.directives if definition.ast_node else ():
                if directive.name.value == "aws_subscribe":
                    for mutation in _directive_args(directive).get("mutations") or []:
                        self._check_subscribed_mutation(name, definition, mutation)
                        self.subscribers_of.setdefault(mutation, []).append(name)

    def _check_subscribed_mutation(self, name: str, definition: Any, mutation: str) -> None:
        """AppSync refuses a schema whose subscription listens to a mutation of another type
        ("The subscription has an invalid output type"); so does the local endpoint."""
        mutation_type = self.schema.mutation_type
        target = mutation_type.fields.get(mutation) if mutation_type else None
        if target is None:
            raise ValueError(f"Subscription.{name}: @aws_subscribe names {mutation}, which is not a mutation")
        if get_named_type(target.type) is not get_named_type(definition.type):
            raise ValueError(
                f"Subscription.{name}: the subscription has an invalid output type: it returns "
                f"{get_named_type(definition.type).name}, mutation {mutation} returns "
                f"{get_named_type(target.type).name}"
            )

    def close(self) -> None:
        for pool in (self._pool, self._backend_pool, self._parse_pool, self._large_parse_pool):
            pool.shutdown(wait=False, cancel_futures=True)
        if self._side_loop is not None:
            self._side_loop.call_soon_threadsafe(self._side_loop.stop)

    # ---- authorization -------------------------------------------------------------

    def _auth_directives(self, node: Any) -> list[Any]:
        if node is None:
            return []
        return [d for d in (node.directives or []) if d.name.value in AUTH_DIRECTIVES]

    def authorized(
        self, parent: GraphQLObjectType, field_name: str, groups: tuple[str, ...], auth_mode: str = COGNITO
    ) -> bool:
        """The caller may read parent.field_name: the field's auth directives, else its type's,
        else the API's default mode. Cognito callers also need one of `cognito_groups`."""
        definition = parent.fields[field_name]
        directives = self._auth_directives(definition.ast_node)
        if not directives:
            directives = [d for node in [parent.ast_node, *parent.extension_ast_nodes]
                          for d in self._auth_directives(node)]
        if not directives:
            return self.default_auth == auth_mode
        for directive in directives:
            name = directive.name.value
            if auth_mode != COGNITO:
                if name == _MODE_DIRECTIVE.get(auth_mode):
                    return True
                continue
            if name == "aws_cognito_user_pools" or (name == "aws_auth" and self.default_auth == COGNITO):
                wanted = _directive_args(directive).get("cognito_groups")
                if wanted is None or set(wanted) & set(groups):
                    return True
        return False

    @staticmethod
    def unauthorized(field_name: str, type_name: str) -> FieldError:
        return FieldError(f"Not Authorized to access {field_name} on type {type_name}", "Unauthorized")

    # ---- execution -------------------------------------------------------------------

    async def parse_async(self, query: Any) -> tuple[DocumentNode | None, list[dict]]:
        """`_parse`, with the work of an uncached query text done off the event loop."""
        if isinstance(query, str):
            cached = self._parsed.get(query)
            if cached is not None:
                document, errors = cached
                return document, [dict(e) for e in errors]
            pool = self._large_parse_pool if len(query) > LARGE_QUERY else self._parse_pool
            return await asyncio.get_running_loop().run_in_executor(pool, self._parse, query)
        return self._parse(query)

    def _parse(self, query: Any) -> tuple[DocumentNode | None, list[dict]]:
        """Parse and validate; the outcome depends only on the query text (the schema and rules
        are fixed), so it is cached: clients repeat the same few operations, and validation
        costs milliseconds. Documents are never mutated; callers get their own error list."""
        if not isinstance(query, str) or len(query) > PARSE_CACHE_MAX_QUERY:
            return self._parse_uncached(query)
        cached = self._parsed.get(query)
        if cached is None:
            cached = self._parse_uncached(query)
            if len(self._parsed) >= PARSE_CACHE_SIZE:
                self._parsed.pop(next(iter(self._parsed)))
            self._parsed[query] = cached
        document, errors = cached
        return document, [dict(e) for e in errors]

    def _parse_uncached(self, query: Any) -> tuple[DocumentNode | None, list[dict]]:
        if not isinstance(query, str) or not query.strip():
            message = "Unable to parse GraphQL query: no query provided."
            return None, [request_error(message, "MalformedHttpRequestException")]
        try:
            document = parse(query, max_lexical_tokens=MAX_QUERY_TOKENS, max_comments=MAX_QUERY_COMMENTS)
        except GraphQLError as error:
            return None, [request_error(f"Invalid syntax: {error.message}", "InvalidSyntax", location_list(error))]
        errors = validate(self.schema, document, self.rules, hide_suggestions=self.hide_suggestions)
        if errors:
            return None, [
                request_error(f"Validation error: {e.message}", "ValidationError", location_list(e)) for e in errors
            ]
        if self.query_depth_limit:
            too_deep = self._depth_errors(document)
            if too_deep:
                return None, too_deep
        return document, []

    def _depth_errors(self, document: DocumentNode) -> list[dict]:
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

        def depth(selection_set: SelectionSetNode | None) -> int:
            nodes = [n for n in collect_fields(selection_set, fragments) if n.selection_set is not None]
            return 1 + max((depth(n.selection_set) for n in nodes), default=0)

        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if depth(definition.selection_set) > self.query_depth_limit:
                return [request_error(f"Query depth exceeds the limit of {self.query_depth_limit}.", "ValidationError")]
        return []

    @staticmethod
    def operation_of(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name:
            return next((o for o in operations if o.name and o.name.value == operation_name), None)
        return operations[0] if len(operations) == 1 else None

    def _field_resolver(self, source: Any, info: GraphQLResolveInfo, **arguments: Any) -> Any:
        context: RequestContext = info.context
        parent = info.parent_type
        if not self.authorized(parent, info.field_name, context.groups, context.auth_mode):
            raise self.unauthorized(info.field_name, parent.name)
        if self.runtime.has_resolver(parent.name, info.field_name):
            context.resolver_calls += 1
            if context.resolver_calls > self.resolver_count_limit:
                raise FieldError(RESOLVER_LIMIT_MESSAGE, RESOLVER_LIMIT_ERROR_TYPE)
            return self._run_resolver(source, info, arguments)
        if isinstance(source, dict):
            return source.get(info.field_name)
        return getattr(source, info.field_name, None)

    async def _run_resolver(self, source: Any, info: GraphQLResolveInfo, arguments: dict[str, Any]) -> Any:
        context: RequestContext = info.context
        node = info.field_nodes[0]
        call = functools.partial(
            self.runtime.resolve,
            info.parent_type.name,
            info.field_name,
            arguments=arguments,
            identity=context.identity,
            source=source if isinstance(source, dict) else None,
            selection_set_list=selection_set_list(node.selection_set, info.fragments,
                                                  get_named_type(info.return_type)),
            selection_set_graphql=print_ast(node.selection_set) if node.selection_set else "",
            variables=context.variables,
            request_headers=context.headers,
        )
        pool = self._backend_pool if context.auth_mode == IAM else self._pool
        async with context.in_flight:
            result: FieldResult = await asyncio.get_running_loop().run_in_executor(pool, call)
        errors = list(result.errors or [])
        if not (result.data is None and errors):
            # A field that failed invalidates nothing: only a completed mutation closes subscriptions.
            context.invalidations.extend((result.extensions or {}).get("invalidateSubscriptions") or [])
        if result.data is None and errors:
            first = errors.pop(0)
            self._append(context, info, errors)
            raise FieldError(first.message, first.error_type,
                             as_selected(first.data, node.selection_set, info.fragments), first.error_info)
        self._append(context, info, errors)
        return result.data

    @staticmethod
    def _append(context: RequestContext, info: GraphQLResolveInfo, errors: list) -> None:
        for error in errors:
            context.appended.append(
                {
                    "path": info.path.as_list(),
                    "data": as_selected(error.data, info.field_nodes[0].selection_set, info.fragments),
                    "errorType": error.error_type,
                    "errorInfo": error.error_info,
                    "locations": [
                        {"line": loc.line, "column": loc.column, "sourceName": None}
                        for loc in GraphQLError("", info.field_nodes).locations or []
                    ],
                    "message": error.message,
                }
            )

    async def execute(
        self,
        body: Any,
        *,
        identity: dict[str, Any] | None,
        groups: tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
        auth_mode: str = COGNITO,
    ) -> GraphQLResponse:
        if not isinstance(body, dict):
            malformed = request_error("Unable to parse GraphQL query.", "MalformedHttpRequestException")
            return GraphQLResponse(400, {"errors": [malformed]})
        document, errors = await self.parse_async(body.get("query"))
        if document is None:
            return GraphQLResponse(400, {"data": None, "errors": errors})
        operation_name = body.get("operationName") or None
        operation = self.operation_of(document, operation_name)
        if operation is None:
            message = f"Unknown operation named '{operation_name}'." if operation_name else (
                "Must provide operation name if query contains multiple operations.")
            return GraphQLResponse(400, {"data": None, "errors": [request_error(message, "ValidationError")]})
        if operation.operation == OperationType.SUBSCRIPTION:
            return GraphQLResponse(400, {"data": None, "errors": [request_error(
                "Subscriptions are served over the real-time WebSocket endpoint (/graphql/realtime).",
                "UnsupportedOperation")]})
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            bad = request_error("variables must be a JSON object.", "ValidationError")
            return GraphQLResponse(400, {"data": None, "errors": [bad]})
        run = self._execute_operation(document, operation, operation_name, variables,
                                      identity, groups, headers, auth_mode)
        if isinstance(body.get("query"), str) and len(body["query"]) > LARGE_QUERY:
            # A large document's execution (and its response's encoding) is long pure-Python
            # work: it runs on a loop of its own, so this loop keeps answering everyone else.
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run, self._large_loop()))
        return await run

    def _large_loop(self) -> asyncio.AbstractEventLoop:
        if self._side_loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="graphql-large-documents", daemon=True).start()
            self._side_loop = loop
        return self._side_loop

    async def _execute_operation(
        self, document: DocumentNode, operation: OperationDefinitionNode, operation_name: str | None,
        variables: dict[str, Any], identity: dict[str, Any] | None, groups: tuple[str, ...],
        headers: dict[str, str] | None, auth_mode: str,
    ) -> GraphQLResponse:
        context = RequestContext(identity, tuple(groups), dict(headers or {}), variables, document, auth_mode)
        result = execute(
            self.schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=self._field_resolver,
            executor_class=_IterativeSerialExecutor,
            hide_suggestions=self.hide_suggestions,
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        out_errors = [format_error(e) for e in result.errors or []] + context.appended
        if result.data is None and not out_errors:
            out_errors = [request_error("Execution failed.", "InternalFailure")]
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # Variable coercion failed: nothing executed.
            body_out = {"data": None, "errors": [
                request_error(f"Validation error: {e.message}", "ValidationError", location_list(e))
                for e in result.errors
            ]}
            return GraphQLResponse(400, body_out)
        response_body: dict[str, Any] = {"data": result.data}
        if out_errors:
            response_body["errors"] = out_errors
        response = GraphQLResponse(200, response_body, invalidations=context.invalidations)
        if operation.operation == OperationType.MUTATION and result.data:
            response.published = self.published_payloads(operation, document, result.data)
        if len(response_body.get("errors") or ()) + len(response_body.get("data") or ()) > 100:
            response.encoded = json.dumps(response_body, separators=(",", ":"))  # here, not on the caller's loop
        return response

    def published_payloads(
        self, operation: OperationDefinitionNode, document: DocumentNode, data: dict[str, Any]
    ) -> list[tuple[str, str, Any]]:
        """What each @aws_subscribe mutation publishes: its selection-set result, by field name.

        A field the mutation did not select is absent, so subscribers see null for it and
        an argument filter on it does not match (aws-appsync-community#109).
        """
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        published = []
        for node in collect_fields(operation.selection_set, fragments):
            key = node.alias.value if node.alias else node.name.value
            value = data.get(key)
            if value is None:
                continue
            payload = by_field_name(value, node.selection_set, fragments)
            for subscription_field in self.subscribers_of.get(node.name.value, []):
                published.append((subscription_field, node.name.value, payload))
        return published

    # ---- subscriptions ---------------------------------------------------------------

    async def prepare_subscription(
        self,
        request: dict[str, Any],
        *,
        identity: dict[str, Any] | None,
        groups: tuple[str, ...],
        headers: dict[str, str],
        auth_mode: str = COGNITO,
    ) -> tuple[PreparedSubscription | None, list[dict[str, Any]]]:
        """Validate a `start` and run the field's subscription resolver, if it has one."""
        document, errors = await self.parse_async(request.get("query"))
        if document is None:
            return None, errors
        operation = self.operation_of(document, request.get("operationName") or None)
        if operation is None or operation.operation != OperationType.SUBSCRIPTION:
            kind = operation.operation.value if operation else "unknown"
            return None, [request_error(f"{kind} not supported through the realtime channel", "UnsupportedOperation")]
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        nodes = list(collect_fields(operation.selection_set, fragments))
        if len(nodes) != 1:
            return None, [request_error("A subscription selects exactly one field.", "ValidationError")]
        node = nodes[0]
        subscription_type = self.schema.subscription_type
        assert subscription_type is not None
        definition = subscription_type.fields[node.name.value]
        raw_variables = request.get("variables") or {}
        if not isinstance(raw_variables, dict):
            return None, [request_error("variables must be a JSON object.", "ValidationError")]
        coerced = get_variable_values(self.schema, operation.variable_definitions or [], raw_variables,
                                      hide_suggestions=self.hide_suggestions)
        if isinstance(coerced, list):
            return None, [request_error(f"Validation error: {e.message}", "ValidationError", location_list(e))
                          for e in coerced]
        try:
            arguments = get_argument_values(definition, node, coerced)
        except GraphQLError as error:
            return None, [request_error(error.message, "ValidationError", location_list(error))]
        unauthorized = self._unauthorized_in(subscription_type, node, fragments, groups, auth_mode)
        if unauthorized:
            return None, [{**request_error(str(unauthorized), "Unauthorized"), "path": [node.name.value]}]
        return_type = get_named_type(definition.type)
        prepared = PreparedSubscription(node.name.value, arguments, node, fragments, return_type)  # type: ignore[arg-type]
        if self.runtime.has_resolver(subscription_type.name, node.name.value):
            call = functools.partial(
                self.runtime.resolve,
                subscription_type.name,
                node.name.value,
                arguments=arguments,
                identity=identity,
                source=None,
                selection_set_list=selection_set_list(node.selection_set, fragments, return_type),
                selection_set_graphql=print_ast(node.selection_set) if node.selection_set else "",
                variables=raw_variables,
                request_headers=headers,
            )
            result: FieldResult = await asyncio.get_running_loop().run_in_executor(self._pool, call)
            if result.errors:
                return None, [
                    {**request_error(e.message, e.error_type), "path": [node.name.value], "data": e.data,
                     "errorInfo": e.error_info}
                    for e in result.errors
                ]
            extensions = result.extensions or {}
            prepared.filter_group = extensions.get("subscriptionFilter")
            prepared.invalidation_filter = extensions.get("subscriptionInvalidationFilter")
        return prepared, []

    def _unauthorized_in(
        self, parent: GraphQLObjectType, node: FieldNode, fragments: dict, groups: tuple[str, ...],
        auth_mode: str = COGNITO,
    ) -> FieldError | None:
        name = node.name.value
        if name.startswith("__"):
            return None
        if not self.authorized(parent, name, groups, auth_mode):
            return self.unauthorized(name, parent.name)
        child_type = get_named_type(parent.fields[name].type)
        if isinstance(child_type, GraphQLObjectType):
            for child in collect_fields(node.selection_set, fragments):
                found = self._unauthorized_in(child_type, child, fragments, groups, auth_mode)
                if found:
                    return found
        return None

    def subscription_data(self, prepared: PreparedSubscription, payload: Any) -> dict[str, Any]:
        """The `data` a subscriber receives: its own selection set over the published payload."""
        node = prepared.field_node
        key = node.alias.value if node.alias else node.name.value
        return {key: _project(payload, node.selection_set, prepared.fragments, prepared.return_type)}


def _project(value: Any, selection_set: SelectionSetNode | None, fragments: dict, gtype: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_project(item, selection_set, fragments, gtype) for item in value]
    if selection_set is None or not isinstance(value, dict):
        return value
    named = get_named_type(gtype)
    out: dict[str, Any] = {}
    for node in collect_fields(selection_set, fragments):
        key = node.alias.value if node.alias else node.name.value
        name = node.name.value
        if name == "__typename":
            out[key] = named.name
            continue
        child_type = named.fields[name].type if isinstance(named, GraphQLObjectType) and name in named.fields else None
        while isinstance(child_type, (GraphQLNonNull, GraphQLList)):
            child_type = child_type.of_type
        out[key] = _project(value.get(name), node.selection_set, fragments, child_type)
    return out
