"""A local AppSync: runs the deployed APPSYNC_JS resolver files offline.

`appsync_local.contract` is the interface between the resolver runtime (engine,
runtime library, executor, data sources) and the HTTP/WebSocket endpoint.
"""
