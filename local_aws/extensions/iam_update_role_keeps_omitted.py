"""IAM UpdateRole: a field the request leaves out keeps its value.

botocore's ``UpdateRoleRequest`` has ``RoleName`` (required), ``Description`` and
``MaxSessionDuration`` (both optional); IAM changes only the fields given. moto 5.2.5 sets both on
every call, so an UpdateRole that changes only the description reset the maximum session duration
to 3600 s, and one that changes only the duration erased the description.
"""

from __future__ import annotations

from moto.core.responses import EmptyResult
from moto.iam.responses import IamResponse


def apply() -> None:
    def update_role(self):
        role = self.backend.get_role(self._get_param("RoleName"))
        description = self._get_param("Description")
        duration = self._get_param("MaxSessionDuration")
        if description is not None:
            role.description = description
        if duration is not None:
            role.max_session_duration = duration
        return EmptyResult()

    IamResponse.update_role = update_role
