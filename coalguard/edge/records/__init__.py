"""The typed contract between the gateway and the cloud: one model per record kind.

The gateway builds a model and puts it in its sink (``encode`` gives the
outbox its kind, priority and body); the cloud ``decode``s each stored record
and dispatches on the model's type. ``UndecodableRecord`` (unknown kind,
unknown version, invalid body) carries the reason the cloud dead-letters.
"""

from coalguard.edge.records.alerts import AlertCleared, AlertRaised
from coalguard.edge.records.analyzer import AnalyzerDeadLetter, AnalyzerResultRecord
from coalguard.edge.records.base import (
    REGISTRY,
    VERSION_KEY,
    CheckpointRecord,
    Encoded,
    InvalidBody,
    Record,
    UndecodableRecord,
    UnknownKind,
    UnknownVersion,
    decode,
    encode,
    kinds,
)
from coalguard.edge.records.camera import CameraEventRecord, CameraPurge
from coalguard.edge.records.fastpass import FastPassLoaded
from coalguard.edge.records.inspection import (
    Arrived,
    CaseClosed,
    Closed,
    FastPassChecked,
    HeldForSeizure,
    InspectionTransition,
    InspectionTransitionV2,
    InspectionTransitionV3,
    Judged,
    Registered,
    Rerun,
    ResultBound,
    ResultUnbound,
    Sampled,
)
from coalguard.edge.records.lab import (
    LabDispatched,
    LabOfficeReferral,
    LabReceived,
    LabReported,
    LabSampled,
)
from coalguard.edge.records.ledger import (
    DUTY_KINDS,
    DutyBody,
    EquipmentState,
    HandoverBody,
    LedgerBody,
    LedgerEntryRecord,
    OpenInspection,
    PendingSample,
    parse_body,
)

__all__ = [
    "DUTY_KINDS",
    "REGISTRY",
    "VERSION_KEY",
    "AlertCleared",
    "AlertRaised",
    "AnalyzerDeadLetter",
    "AnalyzerResultRecord",
    "Arrived",
    "CameraEventRecord",
    "CameraPurge",
    "CaseClosed",
    "CheckpointRecord",
    "Closed",
    "DutyBody",
    "Encoded",
    "EquipmentState",
    "FastPassChecked",
    "FastPassLoaded",
    "HandoverBody",
    "HeldForSeizure",
    "InspectionTransition",
    "InspectionTransitionV2",
    "InspectionTransitionV3",
    "InvalidBody",
    "Judged",
    "LabDispatched",
    "LabOfficeReferral",
    "LabReceived",
    "LabReported",
    "LabSampled",
    "LedgerBody",
    "LedgerEntryRecord",
    "OpenInspection",
    "PendingSample",
    "Record",
    "Registered",
    "Rerun",
    "ResultBound",
    "ResultUnbound",
    "Sampled",
    "UndecodableRecord",
    "UnknownKind",
    "UnknownVersion",
    "decode",
    "encode",
    "kinds",
    "parse_body",
]
