"""The one base class of every domain error."""


class HotlineError(Exception):
    """Something the hotline's domain refuses, with a message a person can act on."""
