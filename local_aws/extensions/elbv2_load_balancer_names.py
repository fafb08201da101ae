"""ELBv2: CreateLoadBalancer refuses names AWS refuses.

A load balancer's name "can have a maximum of 32 characters, must contain only alphanumeric
characters or hyphens, must not begin or end with a hyphen, and must not begin with
"internal-"" (ELBv2 API reference, CreateLoadBalancer ``Name``). Real AWS answers
``ValidationError``, e.g. ``The load balancer name 'x...' cannot be longer than '32'
characters``. moto 5.2.5 checks target-group names this way but accepted any load-balancer
name; the messages follow AWS's length message and moto's target-group messages.
"""

from __future__ import annotations

import re

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend

NAME = re.compile(r"[A-Za-z0-9-]+")


def check_load_balancer_name(name: str) -> None:
    """Raise ValidationError for a load-balancer name that ELBv2 refuses."""
    problem = None
    if len(name) > 32:
        problem = "cannot be longer than '32' characters"
    elif not NAME.fullmatch(name):
        problem = "can only contain characters that are alphanumeric characters or hyphens(-)"
    elif name.startswith("-") or name.endswith("-"):
        problem = "cannot begin or end with '-'"
    elif name.lower().startswith("internal-"):
        problem = "cannot begin with 'internal-'"
    if problem:
        raise ELBClientError("ValidationError", f"The load balancer name '{name}' {problem}")


def apply() -> None:
    original = ELBv2Backend.create_load_balancer

    def create_load_balancer(self, name, *args, **kwargs):
        check_load_balancer_name(name or "")
        return original(self, name, *args, **kwargs)

    ELBv2Backend.create_load_balancer = create_load_balancer
