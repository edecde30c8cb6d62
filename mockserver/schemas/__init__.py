"""marshmallow schemas, one per representation in openapi.yaml's components/schemas.

Dump schemas turn stored records (plus derived figures) into what the API shows; load
schemas shape request bodies that the spec has already validated.
"""
