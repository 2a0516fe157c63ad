"""The ``sarslide`` command line: thin typer commands over library functions."""
