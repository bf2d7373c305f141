"""MSIX Hub: an open Migrant Student Information Exchange."""

__version__ = "0.1.0"

from hub import native

native.install()  # compiled twins of hot modules, when built from these very sources
