"""Refresh prices.toml from the AWS Price List bulk offer files (public, no credentials).

    python -m foundry_tools.cost.refresh [--dry-run]

Only entries with an `offer = {service, usagetype}` are refreshed: the script reads the service's
us-east-1 offer file, finds the on-demand product whose usagetype matches, and rewrites that entry's
usd, source and date. Without network it says so and leaves the table untouched; tests never call it.
"""

import datetime
import json
import re
import sys
import tomllib
import urllib.request
from typing import Any

from foundry_tools.cost.prices import PRICES_FILE

OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{service}/current/us-east-1/index.json"


def fetch_offer(service: str) -> dict[str, Any]:
    with urllib.request.urlopen(OFFER_URL.format(service=service), timeout=60) as response:  # noqa: S310 - fixed https URL
        offer: dict[str, Any] = json.load(response)
    return offer


def on_demand_usd(offer: dict[str, Any], usagetype: str) -> float | None:
    """The first non-zero on-demand price of the product with this usagetype (first tier)."""
    for sku, product in offer.get("products", {}).items():
        if product.get("attributes", {}).get("usagetype") != usagetype:
            continue
        for term in offer.get("terms", {}).get("OnDemand", {}).get(sku, {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                usd = float(dimension.get("pricePerUnit", {}).get("USD", 0))
                if usd > 0:
                    return usd
    return None


def main(argv: list[str]) -> int:
    text = PRICES_FILE.read_text()
    table = tomllib.loads(text)["prices"]
    today = datetime.date.today().isoformat()
    offers: dict[str, dict[str, Any]] = {}
    changed = 0
    for key, entry in table.items():
        spec = entry.get("offer")
        if not spec:
            continue
        try:
            if spec["service"] not in offers:
                offers[spec["service"]] = fetch_offer(spec["service"])
            offer = offers[spec["service"]]
        except OSError as error:
            print(f"{key}: offer file unreachable ({error}); kept {entry['usd']}")
            continue
        usd = on_demand_usd(offer, spec["usagetype"])
        if usd is None:
            print(f"{key}: no on-demand price for usagetype {spec['usagetype']}; kept {entry['usd']}")
            continue
        print(f"{key}: {entry['usd']} -> {usd}")
        source = OFFER_URL.format(service=spec["service"])
        pattern = re.compile(
            rf'(\[prices\."{re.escape(key)}"\]\nusd = )[^\n]+\n(unit = [^\n]+\n)source = [^\n]+\ndate = [^\n]+'
        )
        replacement = f'\\g<1>{usd}\n\\g<2>source = "{source}"\ndate = "{today}"'
        text = pattern.sub(replacement, text)
        changed += 1
    if changed and "--dry-run" not in argv:
        PRICES_FILE.write_text(text)
    print(f"{changed} price(s) refreshed{' (dry run)' if '--dry-run' in argv else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
