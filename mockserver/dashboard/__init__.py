"""The dashboard at /__mock/ui: one page, served by the server itself with nothing fetched
from elsewhere, that shows the control plane (journal, snapshots, clock, faults, outbox,
sandboxes) and calls it with fetch() as any client does."""
