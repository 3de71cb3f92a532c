"""The ``srkit`` command line, built on the public API only."""
