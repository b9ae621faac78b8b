"""CAMARA Click to Dial (0.1.0-rc.1): its adapter, its events, its errors and the credential
its events come with."""

from operator_api.camara.client import CAMARA_VERSION, CamaraOperator
from operator_api.camara.credential import (
    SinkCredential,
    sink_credential_issue,
    sink_credential_reference,
)
from operator_api.camara.errors import camara_error
from operator_api.camara.events import EVENT_TYPE, event_call_id, parse_camara_event, parse_event

__all__ = [
    "CAMARA_VERSION",
    "EVENT_TYPE",
    "CamaraOperator",
    "SinkCredential",
    "camara_error",
    "event_call_id",
    "parse_camara_event",
    "parse_event",
    "sink_credential_issue",
    "sink_credential_reference",
]
