"""Transparency's pages, one blueprint per journey: the contracts register, open data, the audit trail."""
