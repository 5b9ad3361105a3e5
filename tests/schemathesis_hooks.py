"""Schemathesis hooks for tests/openapi.rs: import routes stream CSV or NDJSON bodies, described as
text; send what schemathesis generates for them as text."""

import schemathesis

schemathesis.serializer.alias(["application/x-ndjson", "text/csv"], "text/plain")
