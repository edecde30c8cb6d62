"""`mockserver proxy --upstream URL`: a validating proxy. Every request goes to the upstream
unchanged and its answer comes back unchanged, streamed (forward.py); each exchange is
also checked against openapi.yaml and against the contract's model of the docs' meaning
(checks.py), and what breaks either is listed under /__proxy/ (wsgi.py).
"""
