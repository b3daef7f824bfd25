"""nianbao: watch Chinese government portals for their annual reports on government
information disclosure, read every table, and flag what is late, incomplete or wrong."""

__version__ = "0.1.0"
