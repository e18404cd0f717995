"""Which gateway the settings ask for: Twilio's REST API with credentials, the simulator without."""

from __future__ import annotations

from core.settings import Settings
from telephony.gateway import SimulatorGateway, SmsGateway
from telephony.twilio_rest import TwilioRestGateway


def make_gateway(settings: Settings) -> SmsGateway:
    """Return the gateway the settings ask for: Twilio with credentials, the simulator without."""
    if settings.simulator_mode:
        return SimulatorGateway()
    return TwilioRestGateway.from_settings(settings)
