"""`python -m servers rest`: placeholder until the rest server lands."""

import click


@click.command()
def rest() -> None:
    """Not built yet."""
    raise click.ClickException("the rest server is not built yet")
