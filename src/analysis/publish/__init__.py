"""The only way out of a notebook: figures, maps, formatting, disclosure control, the Report."""
