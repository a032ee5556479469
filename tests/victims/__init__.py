"""Per-app records for tests/test_access_matrix.py (see the comment there)."""
