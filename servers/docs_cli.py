"""`python -m servers docs`: placeholder until the docs server lands."""

import click


@click.command()
def docs() -> None:
    """Not built yet."""
    raise click.ClickException("the docs server is not built yet")
