"""File formats: JSON bytes (encoding.py) and spreadsheets, read safely (sheets.py, sheet_parts.py) and written."""
