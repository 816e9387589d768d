"""Open data in the Open Contracting Data Standard (OCDS 1.1.5 with lots and the UK extension).

``models``: the releases, stored as published. ``build``: what each notice says, as a release.
``publish``: making a release when its notice is published (idempotent, never rewritten).
``packages``: release packages, records with their compiled release, the bulk download.
"""
