"""Cleaning: one module per source family, pure functions from raw frames to tidy frames."""
