"""The Twilio boundary: SMS gateways (REST, simulator), signatures, TwiML helpers."""

from telephony.factory import make_gateway
from telephony.gateway import SendError, SimulatorGateway, SmsGateway
from telephony.twilio_rest import RedirectingHttpClient, TwilioRestGateway

__all__ = [
    "RedirectingHttpClient",
    "SendError",
    "SimulatorGateway",
    "SmsGateway",
    "TwilioRestGateway",
    "make_gateway",
]
