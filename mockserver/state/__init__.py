"""The state: the store (store.py) on its durable storage (storage/), what it keeps
beside its tables (indexes.py, answers.py), the derived figures (ledger.py), the virtual
clock, snapshots, and the sandboxes that hold one of each per token with their quotas."""
