"""The floor: a bare Flask app that answers every voice webhook URL with one fixed TwiML document.

`python -m bench.webhook_latency` runs it under the same gunicorn settings as the hotline
(`gunicorn 'bench.floor_app:app'`) and walks the same URLs with the same signed requests: the
difference between the two is what Fluxx itself costs (signature check, database, TwiML). The
document is a Gather of the size the hotline's menu steps answer with (about 450 bytes). It does
not read the form, check the signature or touch a database: that is the point of a floor.
"""

from __future__ import annotations

import argparse

from flask import Flask, Response, request

#: A menu step as the hotline renders it: one Gather with a prompt, then a Redirect (~450 bytes).
TWIML = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="http://127.0.0.1:8000/voice/gather/'
    b'urgency/1" actionOnEmptyResult="true" finishOnKey="" input="dtmf" method="POST" numDigits="1" '
    b'timeout="6"><Say language="de-DE" voice="Polly.Vicki">Wie dringend ist es? Heute sofort: die 1. '
    b'Heute im Lauf des Tages: die 2. Morgen: die 3. Sp&#228;ter: die 4.</Say></Gather><Redirect '
    b'method="POST">http://127.0.0.1:8000/voice/gather/urgency/1</Redirect></Response>'
)

app = Flask(__name__)


@app.post("/voice/incoming")
@app.post("/voice/gather/<step>/<int:attempt>")
@app.post("/voice/dial/<stage>")
def fixed(**_kwargs: object) -> Response:
    """Return the fixed TwiML document, whatever was posted."""
    return Response(TWIML, mimetype="text/xml")


#: The floor plus the one thing no webhook can skip: reading Twilio's form (bench/webhook_budget.py).
app_reading_form = Flask(__name__)


@app_reading_form.post("/voice/gather/<step>/<int:attempt>")
def fixed_after_reading(**_kwargs: object) -> Response:
    """Read the posted form, then return the fixed TwiML document."""
    if not request.form.get("CallSid"):
        return Response(b"<Response/>", mimetype="text/xml")
    return Response(TWIML, mimetype="text/xml")


def main() -> None:
    """Say how the floor is used (it is served by gunicorn, not run directly)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    print(f"serve with: gunicorn --workers 2 --worker-class sync 'bench.floor_app:app' ({len(TWIML)} bytes answered)")


if __name__ == "__main__":
    main()
