"""fastmlmd: the internal packages behind the public `ml_metadata` API (engine, grammar, bench)."""

__version__ = "0.1.0"
