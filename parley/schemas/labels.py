"""Labels: the request that sets a conversation's, and the workspace's labels with their counts.

A label is compared and stored normalised (`normalize_label`): the request that sets them and the list filter that
names one both normalise what they are sent, so " VIP" finds what "vip" set. The request's list arrives normalised,
sorted and without duplicates."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from parley.schemas.common import RequestModel, StorableStr, WireModel

MAX_LABELS = 20
MAX_LABEL_LENGTH = 50
# What a request may send before labels are trimmed and duplicates collapse (then at most MAX_LABELS remain).
MAX_SENT_LABELS = 100
MAX_SENT_LABEL_LENGTH = 200


def normalize_label(value: str) -> str:
    """A label as stored and compared: trimmed, then lower-cased, then 1 to MAX_LABEL_LENGTH characters."""
    label = value.strip().lower()
    if not 1 <= len(label) <= MAX_LABEL_LENGTH:
        raise ValueError(f"a label must have 1-{MAX_LABEL_LENGTH} characters once trimmed")
    return label


def _label_set(values: list[str]) -> list[str]:
    labels = sorted({normalize_label(value) for value in values})
    if len(labels) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} different labels, not {len(labels)}")
    return labels


Label = Annotated[StorableStr, Field(max_length=MAX_SENT_LABEL_LENGTH), AfterValidator(normalize_label)]


class PutLabelsRequest(RequestModel):
    labels: Annotated[
        list[Annotated[StorableStr, Field(max_length=MAX_SENT_LABEL_LENGTH)]],
        AfterValidator(_label_set),
        Field(
            max_length=MAX_SENT_LABELS,
            description=f"The whole set. Each is trimmed and lower-cased, then must have 1-{MAX_LABEL_LENGTH} "
            f"characters; duplicates collapse; at most {MAX_LABELS} may remain. Otherwise 422 and nothing changes.",
        ),
    ]


class LabelCount(WireModel):
    name: str
    count: int = Field(description="How many conversations carry the label.")
