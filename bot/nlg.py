"""Rasa's callback NLG, sending only what the content endpoint reads, not the whole tracker."""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.nlg.callback import CallbackNaturalLanguageGenerator, nlg_response_format_spec
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

# Rasa waits 5 minutes by default; the web layer gives up on Rasa after 10 s (PUENTE_RASA_TIMEOUT).
NLG_TIMEOUT_SECONDS = 5
LANGUAGE = "language"  # the web layer puts the conversation's language in each message's metadata


def latest_language(tracker: DialogueStateTracker) -> Optional[str]:
    """The language on the latest user message that carried one."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered) and isinstance(event.metadata, dict):
            code = event.metadata.get(LANGUAGE)
            if isinstance(code, str) and code:
                return code
    return None


def slim_request(
    response: str, tracker: DialogueStateTracker, channel: str, arguments: Dict[str, Any]
) -> Dict[str, Any]:
    """Rasa's NLG request with the tracker cut to the one event the endpoint reads.

    Rasa's own request carries every event of the conversation: it grows with each turn (65 KB
    after twenty), so a long conversation would pass any sane request limit, and it sends every
    message again on each reply. Only the response, its arguments and the language are needed.
    """
    language = latest_language(tracker)
    events = [{"event": "user", "metadata": {LANGUAGE: language}}] if language else []
    return {
        "response": response,
        "arguments": arguments,
        "tracker": {"events": events},
        "channel": {"name": channel},
    }


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    """Rasa's schema of an NLG response, checked and compiled once.

    Rasa's own check re-validates the schema itself on every response: a tenth of a Rasa
    server's CPU under load (py-spy, make bench).
    """
    schema = nlg_response_format_spec()
    validator = validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


class SlimCallbackNaturalLanguageGenerator(CallbackNaturalLanguageGenerator):
    """Loaded by module path from endpoints.yml (nlg: type)."""

    def __init__(self, endpoint_config: EndpointConfig, domain: Optional[Domain] = None) -> None:
        super().__init__(endpoint_config)

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> Dict[str, Any]:
        """The rendered response from the content endpoint."""
        kwargs.pop("domain_responses", None)
        kwargs.pop("response_id", None)
        body = slim_request(utter_action, tracker, output_channel, kwargs)
        response = await self.nlg_endpoint.request(
            method="post", json=body, timeout=NLG_TIMEOUT_SECONDS
        )
        if isinstance(response, dict) and self.validate_response(response):
            return response
        raise RasaException("NLG web endpoint returned an invalid response.")

    @staticmethod
    def validate_response(content: Optional[Dict[str, Any]]) -> bool:
        """Rasa's check of the endpoint's answer, against the compiled schema."""
        if content is None or content == "":
            return True  # the endpoint chose to say nothing
        try:
            response_validator().validate(content)
        except ValidationError as error:
            message = f"{error.message}. The NLG endpoint's response is not valid."
            raise RasaException(message) from error
        return True
