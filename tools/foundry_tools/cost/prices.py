"""The versioned unit-price table (prices.toml): every price with its unit, source and date."""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRICES_FILE = Path(__file__).with_name("prices.toml")


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    unit: str
    source: str
    date: str


@dataclass(frozen=True)
class PriceTable:
    region: str
    version: str
    hours_per_month: float
    prices: dict[str, Price]

    def __getitem__(self, key: str) -> Price:
        return self.prices[key]

    def __contains__(self, key: object) -> bool:
        return key in self.prices

    def usd(self, key: str) -> float:
        return self.prices[key].usd


def parse_prices(data: dict[str, Any]) -> PriceTable:
    meta = data["meta"]
    return PriceTable(
        region=meta["region"],
        version=meta["version"],
        hours_per_month=float(meta["hours_per_month"]),
        prices={
            key: Price(
                key=key,
                usd=float(entry["usd"]),
                unit=entry["unit"],
                source=entry["source"],
                date=str(entry["date"]),
            )
            for key, entry in data["prices"].items()
        },
    )


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    return parse_prices(tomllib.loads(path.read_text()))
