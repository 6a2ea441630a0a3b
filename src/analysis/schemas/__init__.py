"""Pandera schemas for every processed table: the single statement of names, types and values."""

from analysis.schemas.enforcement import GLOTIP as GLOTIP
from analysis.schemas.victims import VICTIMS as VICTIMS
