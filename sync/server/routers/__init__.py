"""The HTTP side of the server, one router per resource; `create_app` mounts them all.
Routers translate HTTP to calls into the services (`push`, `pull`, `cases`, `conflicts`,
`terminals`, `open311`) and back; they hold no logic of their own. Their dependencies are in
`sync.server.deps`, their error shape in `sync.server.errors`."""
