"""Flows: the workflows that span several domains (search across everything and its alerts,
deciding and merging proposals, outcomes, the pages that show several domains at once).

The layers, each importing only those below it: core <- domains <- flows <- routes (and the CLI).
`tests/core/test_layers.py` checks them with import-linter.
"""
