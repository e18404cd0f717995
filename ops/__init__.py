"""Going live and staying live: the Twilio number's webhook plan, the doctor's checks, the metrics' figures."""
