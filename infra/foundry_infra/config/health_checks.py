"""Where Route 53's health checkers stand, so a geo allowlist cannot blind the site's health check.

CloudFront's geo restriction answers 403 to a viewer outside the allowlist, Route 53's checkers
included: a checker region whose country is not on the list never sees the site healthy. A check
needs at least three regions, and Route 53 calls the endpoint healthy when more than 18% of its
checkers do, so every chosen region must be admitted.
https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html (Regions: 3 or more)
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/georestrictions.html
"""

# Route 53's checker regions and the country their addresses geolocate to.
CHECKER_REGION_COUNTRIES: dict[str, str] = {
    "us-east-1": "US",
    "us-west-1": "US",
    "us-west-2": "US",
    "eu-west-1": "IE",
    "sa-east-1": "BR",
    "ap-southeast-1": "SG",
    "ap-southeast-2": "AU",
    "ap-northeast-1": "JP",
}
MIN_CHECKER_REGIONS = 3


def checker_regions(geo_allowlist: tuple[str, ...]) -> tuple[str, ...]:
    """The checker regions the allowlist admits (all of them without a list), or ValueError when
    fewer than three are admitted."""
    if not geo_allowlist:
        return tuple(CHECKER_REGION_COUNTRIES)
    allowed = {country.upper() for country in geo_allowlist}
    regions = tuple(region for region, country in CHECKER_REGION_COUNTRIES.items() if country in allowed)
    if len(regions) < MIN_CHECKER_REGIONS:
        where = ", ".join(
            f"{country} ({', '.join(r for r, c in CHECKER_REGION_COUNTRIES.items() if c == country)})"
            for country in dict.fromkeys(CHECKER_REGION_COUNTRIES.values())
        )
        raise ValueError(
            f"edge.geo_allowlist {list(geo_allowlist)} admits {len(regions)} of Route 53's health-checker "
            f"regions ({', '.join(regions) or 'none'}), and the site health check needs at least "
            f"{MIN_CHECKER_REGIONS}: CloudFront refuses the others, so the check could never be healthy. "
            f'Checkers stand in {where}. Add countries to edge.geo_allowlist ("US" alone admits three) '
            "or set ops.health_check=false."
        )
    return regions
