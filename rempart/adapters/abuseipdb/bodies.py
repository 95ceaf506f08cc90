"""The JSON bodies of AbuseIPDB API v2, read into values (pure).

Each ``parse_*`` takes the decoded JSON document of a 200 answer and returns the
result value; a document of the wrong shape raises ``KeyError``, ``TypeError`` or
``ValueError`` (the client turns that into ``Outcome.BAD_ANSWER``).
"""

from __future__ import annotations

from typing import Any

from rempart.adapters.abuseipdb.values import (
    BulkResult,
    CheckReport,
    CheckResult,
    InvalidRow,
    ReportResult,
    parse_time,
)

__all__ = [
    "error_of",
    "parse_bulk",
    "parse_check",
    "parse_clear",
    "parse_report",
]


def _data(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise TypeError("no data object")
    data: dict[str, Any] = doc["data"]
    return data


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} is not a number")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _address(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("ipAddress is not a text")
    return value


def error_of(doc: Any) -> tuple[str, str | None] | None:
    """``(errors[0].detail, errors[0].source.parameter)`` of an error body, or None."""
    if not isinstance(doc, dict):
        return None
    errors = doc.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    detail = errors[0].get("detail")
    source = errors[0].get("source")
    parameter = source.get("parameter") if isinstance(source, dict) else None
    return (
        detail if isinstance(detail, str) else "",
        parameter if isinstance(parameter, str) else None,
    )


def parse_report(doc: Any) -> ReportResult:
    data = _data(doc)
    return ReportResult(
        ip=_address(data["ipAddress"]),
        score=_int(data["abuseConfidenceScore"], "abuseConfidenceScore"),
    )


def _check_report(item: Any) -> CheckReport:
    if not isinstance(item, dict):
        raise TypeError("a report is not an object")
    categories = item.get("categories") or []
    if not isinstance(categories, list):
        raise TypeError("categories is not a list")
    reporter = item.get("reporterId")
    return CheckReport(
        reported_at=parse_time(item.get("reportedAt")),
        comment=_text(item.get("comment")) or "",
        categories=tuple(_int(c, "category") for c in categories),
        reporter_id=reporter if isinstance(reporter, int) else None,
        reporter_country=_text(item.get("reporterCountryCode")),
    )


def parse_check(doc: Any) -> CheckResult:
    data = _data(doc)
    hostnames = data.get("hostnames") or []
    reports = data.get("reports") or []
    if not isinstance(hostnames, list) or not isinstance(reports, list):
        raise TypeError("hostnames or reports is not a list")
    version = data.get("ipVersion")
    return CheckResult(
        ip=_address(data["ipAddress"]),
        score=_int(data["abuseConfidenceScore"], "abuseConfidenceScore"),
        country=_text(data.get("countryCode")),
        usage_type=_text(data.get("usageType")),
        isp=_text(data.get("isp")),
        domain=_text(data.get("domain")),
        hostnames=tuple(h for h in hostnames if isinstance(h, str)),
        is_public=_flag(data.get("isPublic")),
        is_whitelisted=_flag(data.get("isWhitelisted")),
        total_reports=_int(data.get("totalReports", 0), "totalReports"),
        distinct_users=_int(data.get("numDistinctUsers", 0), "numDistinctUsers"),
        last_reported_at=parse_time(data.get("lastReportedAt")),
        reports=tuple(_check_report(r) for r in reports),
        is_tor=_flag(data.get("isTor")),
        ip_version=version if version in (4, 6) else None,
    )


def _invalid_row(item: Any) -> InvalidRow:
    if not isinstance(item, dict):
        raise TypeError("an invalid report is not an object")
    return InvalidRow(
        row=_int(item.get("rowNumber", 0), "rowNumber"),
        ip=str(item.get("input", "")),
        error=str(item.get("error", "")),
    )


def parse_bulk(doc: Any) -> BulkResult:
    data = _data(doc)
    invalid = data.get("invalidReports") or []
    if not isinstance(invalid, list):
        raise TypeError("invalidReports is not a list")
    return BulkResult(
        saved=_int(data["savedReports"], "savedReports"),
        invalid=tuple(_invalid_row(i) for i in invalid),
    )


def parse_clear(doc: Any) -> int:
    return _int(_data(doc)["numReportsDeleted"], "numReportsDeleted")
