"""Placeholder until the EC2 extension lands."""


def apply() -> None:
    return None
