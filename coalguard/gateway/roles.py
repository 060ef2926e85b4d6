"""Who may do what at the checkpoint: the one table of roles and actions.

Three roles, each including the one below it: an operator (值班员) walks
trucks through the workflow and keeps the books; a shift lead (班长) may also
undo or overrule (cancel an inspection, close a case, correct a ledger
entry); an admin (管理员) may also manage accounts. ``docs/gateway.md`` shows
this table as a matrix; ``tests/gateway/test_auth.py`` walks it.
"""

from __future__ import annotations

from enum import IntEnum

from coalguard.errors import WordedValueError


class Role(IntEnum):
    operator = 1
    shift_lead = 2
    admin = 3

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            return cls[name.replace("-", "_")]
        except KeyError:
            raise WordedValueError(
                "gw_unknown_role", role=name, known=", ".join(ROLE_NAMES)
            ) from None


ROLE_NAMES = tuple(r.name for r in Role)

# action -> the least role allowed to take it (a higher role may too)
ACTIONS: dict[str, Role] = {
    "read": Role.operator,  # the page, the ledger page, GET /api/v1/inspections/{id}
    "arrive": Role.operator,
    "register": Role.operator,
    "check_fast_pass": Role.operator,
    "take_sample": Role.operator,
    "bind_result": Role.operator,
    "manual_result": Role.operator,
    "judge": Role.operator,
    "rerun": Role.operator,
    "release": Role.operator,
    "turn_back": Role.operator,
    "lab_sample": Role.operator,
    "hold_for_seizure": Role.operator,  # 查扣: the truck is bound for a 禁煤区 village
    "lab.dispatch": Role.operator,
    "lab.receive": Role.operator,
    "lab.report": Role.operator,
    "duty": Role.operator,
    "handover": Role.operator,
    "papers.print": Role.operator,  # /inspections/{id}/papers/{paper}[.pdf]
    "cancel": Role.shift_lead,
    "close_case": Role.shift_lead,
    "unbind_result": Role.shift_lead,  # a correction: the wrong result was bound
    "ledger.correct": Role.shift_lead,
    "users.manage": Role.admin,  # the users page and `coalguard gateway users`
}


def may(role: Role, action: str) -> bool:
    """True when ``role`` may take ``action``; an unknown action is nobody's."""
    least = ACTIONS.get(action)
    return least is not None and role >= least
