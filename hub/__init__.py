"""MSIX Hub: an open Migrant Student Information Exchange."""

__version__ = "0.1.0"
