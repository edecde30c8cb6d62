"""File formats: JSON bytes (encoding.py) and spreadsheets, written and read safely (sheets.py;
its pre-scan sheet_parts.py; sheet_worker.py, the reading in a child process with limits)."""
