"""The components as a Pulumi package for other languages: `pulumi package add ./provider`
generates a TypeScript, Go, C# or Java SDK for EventChatStack and its parts. The schema is
inferred from the components' typed args (pulumi.provider.experimental)."""

from importlib.metadata import PackageNotFoundError, version

from pulumi.provider.experimental import component_provider_host

from components import COMPONENTS

try:
    VERSION = version("chatstack")
except PackageNotFoundError:  # run from a checkout that was never installed
    VERSION = "0.0.0"

if __name__ == "__main__":
    component_provider_host(components=list(COMPONENTS), name="chatstack", version=VERSION)
