"""RDS: a backup window may end exactly when the maintenance window starts.

Real RDS rejects overlapping windows but accepts adjacent ones (03:00-04:00 backups with a
sun:04:00-sun:05:00 maintenance window, the seed's values, as AWS's own examples pair them).
moto 5.2.5 counts a shared boundary (an overlap of 0 seconds) as an overlap and answers
InvalidParameterValue. This makes only a positive overlap count.
"""

from __future__ import annotations

from moto.rds import utils


def apply() -> None:
    original = utils.get_overlap_between_two_date_ranges

    def get_overlap_between_two_date_ranges(start_1, end_1, start_2, end_2) -> int:
        overlap = original(start_1, end_1, start_2, end_2)
        return -1 if overlap == 0 else overlap

    utils.get_overlap_between_two_date_ranges = get_overlap_between_two_date_ranges
