"""The outputs an event stack publishes, by key: the contract between the deployed stack
(components.EventChatStack.outputs, exported by __main__.py), the local stack
(chatstack.local.parts) and their readers (the web client's config.json, chatstack loadtest,
the tests). Stdlib only: both sides import it."""

# Every stack.
OUTPUT_KEYS = ("graphqlUrl", "realtimeUrl", "apiId", "region", "userPoolId", "userPoolClientId", "tableName",
               "fanOutMode", "attendeeAuth", "selfSignUp")
# Every deployed stack: where operators look during and after the event (the local stack keeps its
# archive in .chatstack/<stack>/archive and has no dashboard).
OPERATIONS_OUTPUT_KEYS = ("dashboardUrl", "archiveBucket")
# oidc stacks: how attendees sign in at the event platform.
OIDC_OUTPUT_KEYS = ("oidcIssuer", "oidcClientId", "oidcScopes", "oidcModeratorClaim")
# Stacks with the web client (chatstack:webApp), and those it may be framed by.
WEB_OUTPUT_KEYS = ("webUrl", "embedOrigins")
# Only a local stack: its Cognito and DynamoDB endpoints, the credential they accept for admin
# calls, the CA to trust (with --tls).
LOCAL_OUTPUT_KEYS = ("cognitoEndpoint", "dynamodbEndpoint", "localAdmin", "tlsCaFile")
