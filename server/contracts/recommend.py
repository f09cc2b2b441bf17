"""Recommendations: products shoppers looked at or bought together, popular now in a store, the shopper's own
shelf, and the shopper's choice to turn personalisation off (docs/API.md, Recommendations)."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictBool

from server.contracts.foundation import InputModel
from server.contracts.search import SearchHit


class RecommendQuery(InputModel):
    limit: int = Field(default=8, ge=1, le=20, description="Products per list at most")


class Recommendations(BaseModel):
    """Products of the festival that shoppers paired with this one in one visit (each pair made by at least 5
    distinct shoppers), most shoppers first; cards as search shows them (festival prices)."""

    store: str
    sku: str
    also_looked: list[SearchHit] = Field(description="Shoppers who looked at this also looked at these")
    also_bought: list[SearchHit] = Field(description="Shoppers who looked at this bought these")


class Because(BaseModel):
    """Part of the personal shelf: products of this store that go with one the shopper looked at in this visit."""

    looked_at: SearchHit
    items: list[SearchHit]


class Popular(BaseModel):
    items: list[SearchHit] = Field(description="Looked at and added to carts most in the store over the last hour "
                                               "(products looked at by at least 5 distinct shoppers)")
    window_minutes: int
    personalised: bool = Field(description="Whether ``because`` could be filled: a shopper session that has not "
                                           "turned personalisation off, without X-Vrstore-Personalise: off")
    because: list[Because] = Field(description="The personal shelf: for the shopper's latest looks in this "
                                               "festival, products of this store that go with them")


class Personalisation(InputModel):
    enabled: StrictBool = Field(description="false: this session's looks, cart lines and orders are never counted in "
                                      "pairs, and it gets no personal shelf")
