"""Pandera schemas for every processed table: the single statement of names, types and values.

The code lists are plain constants; the pandera objects are built when first used, so that
reading a table does not import pandera."""
