"""The Twilio boundary: SMS gateways (REST, simulator), signatures, TwiML helpers."""

from telephony.gateway import SendError, SimulatorGateway, SmsGateway, make_gateway
from telephony.twilio_rest import RedirectingHttpClient, TwilioRestGateway

__all__ = [
    "RedirectingHttpClient",
    "SendError",
    "SimulatorGateway",
    "SmsGateway",
    "TwilioRestGateway",
    "make_gateway",
]
