"""Importing prior cases from CSV files: the case schema, and mappings for 311 and Chinese data."""
