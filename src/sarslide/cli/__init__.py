"""The ``sarslide`` command line: thin typer commands over library functions.

``sarslide.cli.main`` imports every command module to register its command, so a
command imports its library (torch, Lightning, the ``[sources]`` clients, dask) inside
its function, when it runs (said here once for every command function): ``sarslide
--help`` stays fast, and a command never fails for an extra that only another command
needs. Everything else is imported at module top.
"""
