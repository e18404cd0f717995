"""sms webhooks (being built)."""

from flask import Blueprint

bp = Blueprint("sms", __name__)
