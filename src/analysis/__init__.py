"""thb-analysis: data registry, cleaning, statistics and notebook runner for THB research."""

__version__ = "0.1.0"
