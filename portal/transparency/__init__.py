"""Transparency: what the public may see of the council's buying, as pages and as open data.

The public contracts register, OCDS releases (built when each notice is published and never
changed afterwards), records, the bulk download, the Atom feed of opportunities and the
published heads of the audit chain. It reads the other domains and writes only its own
rows; nothing of an unsuccessful bid, an evaluator or an assessment summary leaves here.
"""
