"""The parts a local stack is made of, in the order `LocalStack` starts them (and stops them in
reverse). Each part starts from what the parts before it put on the stack, puts what it
made there, says which outputs it contributes, and stops what it started. A new local
feature is a new part, not an edit to a long start().

- ProgramPart      the program evaluated under mocks; its resolvers checked against the manifest
- MotoPart         moto's process (DynamoDB, Streams, Cognito; the kept state) and its clients
- ResourcesPart    the table, user pool, app client and groups made (or kept) in moto
- OidcIssuerPart   `oidc` stacks: the event platform's issuer, and AppSync's check of its tokens
- ResolversPart    the resolver runtime: manifest, env, data sources (DynamoDB over the private socket)
- WebPart          the built web client at the endpoint's root
- EndpointPart     the GraphQL and real-time endpoint (HTTP and WebSocket), listening
- FanoutPart       batched stacks: the stream consumer publishing each room's batches
- ArchivePart      every chat event from the stream to .chatstack/<stack>/archive
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import TYPE_CHECKING, Any, Protocol

from chatstack.config import parse_stack_values
from chatstack.local.direct_dynamodb import DirectDynamoDB
from chatstack.local.errors import LocalStackError
from chatstack.local.moto_process import MOTO_STATE_FILE, MotoProcess
from chatstack.local.program import (
    GRAPHQL_API,
    check_pipelines,
    evaluate_stack,
    local_backend_principal,
    remote_data_sources,
    stack_environment,
)
from chatstack.local.resources import materialise
from chatstack.stack_outputs import OIDC_OUTPUT_KEYS, OUTPUT_KEYS

if TYPE_CHECKING:
    from aiohttp import web

    from chatstack.local.stack import LocalStack

ARCHIVE_DIR = "archive"  # under .chatstack/<stack>/: the chat's archive (chatstack.local.archive)
# The client id the local issuer's browser login serves when the stack names none (AppSync then
# checks no audience, so any id works).
LOCAL_WEB_CLIENT_ID = "chatstack-local-web"


class Part(Protocol):
    async def start(self, stack: LocalStack) -> None: ...

    def outputs(self, stack: LocalStack) -> dict[str, Any]: ...

    async def stop(self, stack: LocalStack) -> None: ...


class _Part:
    """What a part does not need to do: start nothing, contribute no outputs, stop nothing."""

    async def start(self, stack: LocalStack) -> None:
        pass

    def outputs(self, stack: LocalStack) -> dict[str, Any]:
        return {}

    async def stop(self, stack: LocalStack) -> None:
        pass


class ProgramPart(_Part):
    """The program evaluated (unless the caller gave a run), its pipelines and ctx.env checked."""

    async def start(self, stack: LocalStack) -> None:
        if stack.run is None:
            stack.run = await asyncio.to_thread(evaluate_stack, stack.stack, stack.root, stack.config_overrides)
        run = stack.run
        stack.manifest = stack.project.manifest()
        stack.env = stack_environment(run, stack.manifest)
        check_pipelines(run, stack.manifest)
        stack.api = run.one(GRAPHQL_API)
        stack.config = parse_stack_values(run.config)
        stack.region = str(run.outputs.get("region") or run.config.get("aws:region", "us-east-1"))
        missing = [k for k in OUTPUT_KEYS if k not in run.outputs and k not in ("graphqlUrl", "realtimeUrl")]
        if missing:
            raise LocalStackError(f"the program no longer exports {missing}")

    def outputs(self, stack: LocalStack) -> dict[str, Any]:
        run = stack.run
        outputs = {"apiId": run.outputs.get("apiId", stack.api.id), "region": stack.region,
                   **{k: run.outputs.get(k) for k in ("fanOutMode", "attendeeAuth", "selfSignUp")}}
        if run.outputs.get("embedOrigins"):
            outputs["embedOrigins"] = list(run.outputs["embedOrigins"])
        return outputs


class MotoPart(_Part):
    """moto's process and the clients of it: boto3 (resource creation), and the private socket
    the resolvers and stream consumers use (chatstack.local.direct_dynamodb)."""

    def __init__(self) -> None:
        self.process: MotoProcess | None = None
        self._watch: asyncio.Task | None = None

    async def start(self, stack: LocalStack) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        state_file = stack.data_dir / MOTO_STATE_FILE if stack.data_dir is not None else None
        self.process = await asyncio.to_thread(MotoProcess.start, stack.stack_dir, stack.region, stack.tls_files,
                                               state_file, fresh=stack.fresh)
        self._watch = asyncio.get_running_loop().create_task(self._watch_process(stack))
        stack.moto_endpoint = f"{'https' if stack.tls else 'http'}://127.0.0.1:{self.process.port}"
        stack.dynamodb = stack.aws_client("dynamodb", stack.moto_endpoint)
        stack.cognito = stack.aws_client("cognito-idp", stack.moto_endpoint)
        stack.direct_dynamodb = DirectDynamoDB(self.process.direct_socket)
        stack.direct_streams = DirectDynamoDB(self.process.direct_socket, "dynamodbstreams")

    async def _watch_process(self, stack: LocalStack, interval: float = 0.5) -> None:
        """Without its database the stack answers nothing right: when moto's process ends on its
        own, say so (with its last log line) and let `serve` stop."""
        moto = self.process
        while moto is not None and moto.process.poll() is None:
            await asyncio.sleep(interval)
        if moto is None or self.process is not moto:  # stopped by us
            return
        line = moto.last_log_line()
        stack.failure = (f"the stack's database (moto, pid {moto.process.pid}) exited with code "
                         f"{moto.process.returncode}" + (f": {line}" if line else "") + f" (log: {moto.log_path}); "
                         "nothing can be served without it, so chatstack local stops (start it again: "
                         "the kept state is loaded)")
        stack.failed.set()

    def outputs(self, stack: LocalStack) -> dict[str, Any]:
        # cognitoEndpoint: Amplify's Auth.Cognito.userPoolEndpoint; dynamodbEndpoint: the table's
        # API; localAdmin: the only credential either accepts for admin calls.
        outputs = {"cognitoEndpoint": stack.moto_endpoint, "dynamodbEndpoint": stack.moto_endpoint,
                   "localAdmin": dict(stack.local_admin)}
        if stack.tls_files is not None:
            outputs["tlsCaFile"] = str(stack.tls_files.ca_certificate.resolve())
        return outputs

    async def stop(self, stack: LocalStack) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        for client in (stack.direct_dynamodb, stack.direct_streams):
            if client is not None:
                client.close()
        stack.direct_dynamodb = stack.direct_streams = None
        process, self.process = self.process, None
        if process is not None:
            await asyncio.to_thread(process.stop)


class ResourcesPart(_Part):
    """The registered table, pool, client and groups, made in moto or kept from its state."""

    async def start(self, stack: LocalStack) -> None:
        stack.materialised = await asyncio.to_thread(materialise, stack.run, stack.dynamodb, stack.cognito)
        # The table's stream: the batched fan-out and the archive both read it.
        table = stack.materialised.table_name
        stack.stream_arn = stack.dynamodb.describe_table(TableName=table)["Table"].get("LatestStreamArn")

    def outputs(self, stack: LocalStack) -> dict[str, Any]:
        made = stack.materialised
        return {"userPoolId": made.user_pool_id, "userPoolClientId": made.client_id, "tableName": made.table_name}


class OidcIssuerPart(_Part):
    """`oidc` stacks: the event platform's issuer on the endpoint's port, and AppSync's
    OPENID_CONNECT check of its tokens (client id and TTLs from the registered API's provider,
    claim names from the resolvers' rendered ctx.env: what the program registered)."""

    @staticmethod
    def provider(stack: LocalStack) -> dict[str, Any] | None:
        for provider in stack.api.inputs.get("additionalAuthenticationProviders") or []:
            if provider.get("authenticationType") == "OPENID_CONNECT":
                return provider
        return None

    async def start(self, stack: LocalStack) -> None:
        from appsync_local.server.auth import OidcJwtVerifier
        from chatstack.local.oidc import AttendeeClaims, LocalOidcIssuer
        from chatstack.oidc_client_id import literal_client_id

        provider = self.provider(stack)
        if provider is None:
            return
        settings = provider.get("openidConnectConfig") or {}
        pattern = settings.get("clientId")
        env = stack.env
        claims = AttendeeClaims(client_id=literal_client_id(pattern) if pattern else None,
                                name_claim=env["OIDC_NAME_CLAIM"], moderator_claim=env["OIDC_MODERATOR_CLAIM"],
                                moderator_value=env["OIDC_MODERATOR_VALUE"])
        issuer = LocalOidcIssuer(stack.stack_dir, stack.http_origin, claims)
        issuer.write_settings()
        stack.oidc_issuer = issuer
        # The discovery document and JWKS in process (the documents its routes serve): fetching
        # them over HTTP from the endpoint's own event loop would block the loop that answers.
        documents = {issuer.issuer + "/.well-known/openid-configuration": issuer.discovery,
                     issuer.issuer + "/.well-known/jwks.json": issuer.jwks}

        def load(url: str) -> dict[str, Any]:
            if url not in documents:
                raise LocalStackError(f"the local OIDC issuer serves no {url}")
            return documents[url]()

        def seconds(milliseconds: Any) -> float | None:  # AppSync's TTLs are in milliseconds
            return float(milliseconds) / 1000 if milliseconds else None

        stack.token_verifiers.append(OidcJwtVerifier(
            issuer=issuer.issuer, client_id=settings.get("clientId"), auth_ttl_seconds=seconds(settings.get("authTtl")),
            iat_ttl_seconds=seconds(settings.get("iatTtl")), loader=load))

    def routes(self, stack: LocalStack, app: web.Application) -> None:
        if stack.oidc_issuer is not None:
            stack.oidc_issuer.add_routes(app)

    def outputs(self, stack: LocalStack) -> dict[str, Any]:
        if stack.oidc_issuer is None:
            return {}
        # the program's values, but the issuer is the local one
        outputs = {**{k: stack.run.outputs[k] for k in OIDC_OUTPUT_KEYS if k in stack.run.outputs},
                   "oidcIssuer": stack.oidc_issuer.issuer}
        outputs.setdefault("oidcClientId", LOCAL_WEB_CLIENT_ID)
        return outputs


class ResolversPart(_Part):
    """The resolver runtime: the manifest's code with the stack's ctx.env, DynamoDB over the
    private socket, the HTTP data source (the API itself, signed as a backend role) and the
    review Lambda's Python stand-in."""

    async def start(self, stack: LocalStack) -> None:
        stack.events_principal = local_backend_principal(stack.run, "events")
        remote = remote_data_sources(stack.run, stack.manifest, stack.config, stack.http_origin,
                                     stack.events_principal, stack.region,
                                     ca_file=stack.tls_files.ca_certificate if stack.tls_files else None)
        stack.runtime = stack.runtime_factory(stack.manifest, stack.env, stack.direct_dynamodb, remote)


class WebPart(_Part):
    """The built web client (web/dist) at the endpoint's root, its config.json from the outputs."""


    def routes(self, stack: LocalStack, app: web.Application) -> None:
        if stack.web_dist is not None:
            from chatstack.local.web import add_web_client

            add_web_client(app, stack.web_dist, lambda: stack.outputs)

    def outputs(self, stack: LocalStack) -> dict[str, Any]:
        return {"webUrl": f"{stack.http_origin}/"} if stack.web_dist is not None else {}


class EndpointPart(_Part):
    """The GraphQL endpoint and its real-time protocol (appsync_local.server), with the API's
    registered settings and auth modes, listening on the stack's socket with every part's routes."""

    def __init__(self) -> None:
        self._runner: Any = None

    async def start(self, stack: LocalStack) -> None:
        from aiohttp import web

        from appsync_local.server import CognitoJwtVerifier, GraphQLEndpoint, LocalAppSync, TokenVerifiers
        from appsync_local.sigv4 import SigV4Verifier

        api_inputs = stack.api.inputs
        endpoint = GraphQLEndpoint(
            api_inputs["schema"], stack.runtime,
            default_auth=api_inputs.get("authenticationType", "AMAZON_COGNITO_USER_POOLS"),
            introspection=api_inputs.get("introspectionConfig", "ENABLED") != "DISABLED",
            query_depth_limit=int(float(api_inputs.get("queryDepthLimit") or 0)),
            resolver_count_limit=int(float(api_inputs.get("resolverCountLimit") or 0)),
        )
        made = stack.materialised
        stack.cognito_verifier = CognitoJwtVerifier(
            issuer=f"https://cognito-idp.{stack.region}.amazonaws.com/{made.user_pool_id}",
            client_ids=[made.client_id],
            jwks_url=f"{stack.moto_endpoint}/{made.user_pool_id}/.well-known/jwks.json",
            # The stack's own key, read in-process: the same set the endpoint serves at jwks_url.
            jwks_loader=lambda _url: stack.signing_key.jwks(),
        )
        tokens = TokenVerifiers([stack.cognito_verifier, *stack.token_verifiers])
        await asyncio.to_thread(tokens.load_keys)  # before serving: requests never wait on a key fetch
        stack.token_verify = tokens.verify
        if stack.iam_verify is None:
            stack.fanout_principal = local_backend_principal(stack.run, "fanout")
            stack.iam_verify = SigV4Verifier([stack.fanout_principal, stack.events_principal], stack.region).verify
        stack.appsync = LocalAppSync(endpoint, tokens.verify, keepalive_seconds=stack.keepalive_seconds,
                                     max_connections=stack.max_connections, iam_verify=stack.iam_verify)
        app = stack.appsync.app()
        for part in stack.parts:
            routes = getattr(part, "routes", None)
            if routes is not None:
                routes(stack, app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        ssl_context = None
        if stack.tls_files is not None:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(stack.tls_files.certificate, stack.tls_files.private_key)
        await web.SockSite(self._runner, stack.socket, ssl_context=ssl_context).start()

    def outputs(self, stack: LocalStack) -> dict[str, Any]:
        return {"graphqlUrl": f"{stack.http_origin}/graphql",
                "realtimeUrl": f"ws{'s' if stack.tls else ''}://{stack.url_host}/graphql/realtime"}

    async def stop(self, stack: LocalStack) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


class FanoutPart(_Part):
    """Batched stacks: the fan-out Lambda's consumer, on moto's stream, publishing each room's
    batches to the endpoint with SigV4 as the fan-out role."""

    async def start(self, stack: LocalStack) -> None:
        from botocore.credentials import Credentials

        from chatstack.local.fanout import LocalStreamConsumer
        from fanout_consumer.publisher import AppSyncPublisher

        if stack.config.fan_out_mode not in ("batched", "events") or stack.fanout_principal is None:
            return
        principal = stack.fanout_principal
        credentials = Credentials(principal.access_key_id, principal.secret_access_key)
        ssl_context = ssl.create_default_context(cafile=stack.tls_files.ca_certificate) if stack.tls_files else None
        publisher = AppSyncPublisher(f"{stack.http_origin}/graphql", stack.region, credentials=credentials,
                                     ssl_context=ssl_context)
        publish, tell = publisher.publish, None
        if stack.config.fan_out_mode == "events":  # as the Lambda does with EVENTS_URL
            from fanout_consumer.events import EventsPublisher
            from fanout_consumer.handler import through_event_api

            publish, tell = through_event_api(publisher, EventsPublisher(
                f"{stack.http_origin}/event", stack.region, credentials=credentials, ssl_context=ssl_context))
        stack.fanout = LocalStreamConsumer(stack.direct_streams, stack.stream_arn, publish,
                                           stack.config.flush_interval_ms, tell=tell)
        stack.fanout.start()


    async def stop(self, stack: LocalStack) -> None:
        if stack.fanout is not None:
            await asyncio.to_thread(stack.fanout.stop)
            stack.fanout = None


class ArchivePart(_Part):
    """Every chat event from the stream to .chatstack/<stack>/archive/ (chatstack report reads it)."""

    async def start(self, stack: LocalStack) -> None:
        from chatstack.local.archive import LocalArchiver

        stack.archiver = LocalArchiver(stack.direct_streams, stack.stream_arn, stack.stack_dir / ARCHIVE_DIR,
                                       stack.stack)
        stack.archiver.start()


    async def stop(self, stack: LocalStack) -> None:
        if stack.archiver is not None:
            await asyncio.to_thread(stack.archiver.stop)
            stack.archiver = None


class EventsPart(_Part):
    """events stacks: the Event API (appsync_local.server.events) on the endpoint's host, /event and
    /event/realtime, its rooms namespace's handlers from the program, their data source the
    table over the private socket, the endpoint's token and SigV4 checks."""

    async def start(self, stack: LocalStack) -> None:
        if stack.config.fan_out_mode != "events":
            return
        from appsync_local.datasources import DynamoDBDataSource
        from appsync_local.engine import JSEngine
        from appsync_local.server.events import ChannelNamespace, LocalEventApi

        namespaces = []
        for resource in stack.run.of_type("aws:appsync/channelNamespace:ChannelNamespace"):
            inputs = resource.inputs
            integration = ((inputs.get("handlerConfigs") or {}).get("onSubscribe") or {}).get("integration")
            namespaces.append(ChannelNamespace(
                name=inputs["name"], code=inputs.get("codeHandlers"),
                publish_modes=tuple(m["authType"] for m in inputs.get("publishAuthModes") or ()),
                subscribe_modes=tuple(m["authType"] for m in inputs.get("subscribeAuthModes") or ()),
                # the namespace's one data source: the chat table (components.chat_events)
                subscribe_data_source=DynamoDBDataSource(stack.direct_dynamodb, stack.env["TABLE_NAME"])
                if integration else None))
        # The endpoint part sets the token and SigV4 checks up after this one: read them on use.
        stack.event_api = LocalEventApi(
            namespaces, lambda token: stack.token_verify(token),
            iam_verify=lambda *request: stack.iam_verify(*request),
            engine_factory=JSEngine, keepalive_seconds=stack.keepalive_seconds)

    def routes(self, stack: LocalStack, app: web.Application) -> None:
        if stack.event_api is not None:
            stack.event_api.routes(app)

    def outputs(self, stack: LocalStack) -> dict[str, Any]:
        if stack.event_api is None:
            return {}
        return {"eventsUrl": f"{stack.http_origin}/event",
                "eventsRealtimeUrl": f"ws{'s' if stack.tls else ''}://{stack.url_host}/event/realtime"}

    async def stop(self, stack: LocalStack) -> None:
        if stack.event_api is not None:
            stack.event_api.close()
            stack.event_api = None


def default_parts() -> list[Part]:
    return [ProgramPart(), MotoPart(), ResourcesPart(), OidcIssuerPart(), ResolversPart(), WebPart(), EventsPart(),
            EndpointPart(), FanoutPart(), ArchivePart()]
