"""Helpers of the fuzz campaign (tests/test_fuzz.py): the forms a page shows, and the bad values sent to them."""
