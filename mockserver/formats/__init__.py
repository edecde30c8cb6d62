"""File formats: JSON bytes (encoding.py) and spreadsheets, read safely and written (sheets.py)."""
