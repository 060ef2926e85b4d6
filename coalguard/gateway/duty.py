"""Duty records and shift handovers (R8): who was on duty, and what was handed over.

A handover entry lists, as the gateway knows them at that moment, the open
inspections, the lab samples still waiting and the equipment state, so the
next shift signs for a fact and not a memory.
"""

from __future__ import annotations

from coalguard.edge.records import (
    DUTY_KINDS,
    DutyBody,
    EquipmentState,
    HandoverBody,
    OpenInspection,
    PendingSample,
)
from coalguard.gateway.devices import Devices
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.lab import LabDesk
from coalguard.gateway.ledger import Entry, Ledger
from coalguard.gateway.workflow import Workflow


class DutyDesk:
    def __init__(
        self,
        ledger: Ledger,
        workflow: Workflow,
        lab: LabDesk,
        devices: Devices,
        checkpoint_id: str,
    ) -> None:
        self.ledger = ledger
        self.workflow = workflow
        self.lab = lab
        self.devices = devices
        self.checkpoint_id = checkpoint_id

    def duty(self, operator: str, action: str, note: str = "") -> Entry:
        if action not in DUTY_KINDS:
            raise GatewayError("refusal.gw_duty_action")
        if not operator.strip():
            raise GatewayError("field_required", field="operator")
        return self.ledger.append(
            "duty", action, operator, DutyBody(checkpoint_id=self.checkpoint_id, note=note)
        )

    def handover(self, from_operator: str, to_operator: str, note: str = "") -> Entry:
        if not from_operator.strip() or not to_operator.strip():
            raise GatewayError("field_required", field="to_operator")
        if from_operator.strip() == to_operator.strip():
            raise GatewayError("handover_self")
        body = HandoverBody(
            checkpoint_id=self.checkpoint_id,
            from_operator=from_operator,
            to_operator=to_operator,
            note=note,
            open_inspections=tuple(
                OpenInspection(id=i["id"], plate=i["plate"], state=i["state"])
                for i in self.workflow.open_inspections()
            ),
            pending_lab_samples=tuple(
                PendingSample(
                    sample_id=p["sample_id"], step=p["step"], due=p["due"], overdue=p["overdue"]
                )
                for p in self.lab.pending()
            ),
            equipment=tuple(
                EquipmentState(
                    device_id=d["device_id"],
                    kind=d["kind"],
                    last_seen=d["last_seen"],
                    errors=d["errors"],
                    silent=bool(d["silent_since"]),
                )
                for d in self.devices.all()
            ),
        )
        return self.ledger.append("handover", "handover", from_operator, body)
