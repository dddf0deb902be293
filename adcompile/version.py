"""The version of adcompile (written into the modules ``adcompile build`` makes)."""

__version__ = "0.1.0"
