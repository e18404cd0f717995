"""voice webhooks (being built)."""

from flask import Blueprint

bp = Blueprint("voice", __name__)
