"""The mock's own mechanisms, beyond the API: `Prefer` overrides and sample bodies, fault
rules, the path patterns both match with, and the request journal. Their control-plane
handlers are in ../control/."""
