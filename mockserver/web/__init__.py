"""The HTTP layer: the spec compiled (spec.py) and made the router (routing.py), and what
every request passes through around its handler: auth, CORS, validation, error bodies,
the access log and the docs UI."""
