"""Open data: every package and record validates against OCDS 1.1.5 with lots and the UK
extension (offline, the schemas kept in portal/transparency/ocds/schema); releases are made
when their notices are, have stable ids, never change; the compiled release follows the
award; nothing private is ever published; a page of releases costs the same queries at any size."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlalchemy import func, insert, select

from portal.accounts.models import Role, User
from portal.awards import contracts, notice
from portal.awards.models import AssessmentSummary
from portal.bids.models import Bid, BidAnswer, BidAttachment
from portal.evaluation.models import ConflictDeclaration, LotResult, ModeratedScore, Score, SelectionDecision
from portal.providers.models import Organisation
from portal.providers.vcse import is_vcse
from portal.tenders.models import Tender
from portal.transparency.ocds import publish
from portal.transparency.ocds.models import OcdsRelease, PublishedReleaseChanged
from tests.awards.world import award_through_summaries_sent, build_evaluated_tender
from tests.factories import NOW
from tests.support import count_queries

SCHEMA = Path(__file__).parents[2] / "portal" / "transparency" / "ocds" / "schema"
SHARED = Path(__file__).parents[3] / "shared" / "ocds-1.1.5-uk" / "release-schema.json"
END_DATE = date(2031, 3, 31)


def _validator(package_schema: str) -> jsonschema.Draft4Validator:
    release = json.loads((SCHEMA / "release-schema.json").read_text())
    package = json.loads((SCHEMA / package_schema).read_text())
    registry = Registry().with_resource(release["id"], Resource(release, specification=DRAFT4))
    return jsonschema.Draft4Validator(
        package, registry=registry, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


RELEASE_PACKAGE = _validator("release-package-schema.json")
RECORD_PACKAGE = _validator("record-package-schema.json")


def assert_valid(validator: jsonschema.Draft4Validator, data: dict) -> None:
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]
    assert problems == []


def all_releases(client) -> list[dict]:
    """Every release, following links.next; each page is validated on the way."""
    url, releases = "/ocds/releases.json", []
    while url:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/json"
        package = response.get_json()
        assert_valid(RELEASE_PACKAGE, package)
        releases += package["releases"]
        url = package.get("links", {}).get("next", "").replace("http://127.0.0.1:5000", "") or None
    return releases


def record_of(client, ocid: str) -> dict:
    response = client.get(f"/ocds/records/{ocid}.json")
    assert response.status_code == 200
    package = response.get_json()
    assert_valid(RECORD_PACKAGE, package)
    return package["records"][0]


def keys_of(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def test_the_kept_schema_is_the_shared_one():
    if not SHARED.exists():
        pytest.skip("the shared schemas are not beside this checkout")
    assert json.loads((SCHEMA / "release-schema.json").read_text()) == json.loads(SHARED.read_text())


# --- The demo: tenders at every stage ----------------------------------------------------------


@pytest.fixture
def demo(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return db


def test_the_demo_publishes_valid_open_data_for_every_stage(client, demo):
    releases = all_releases(client)
    tags = {tag for release in releases for tag in release["tag"]}
    assert tags == {"tender", "tenderAmendment", "tenderCancellation", "award", "contract"}
    ids = [release["id"] for release in releases]
    assert len(ids) == len(set(ids))
    assert [r["date"] for r in releases] == sorted((r["date"] for r in releases), reverse=True)
    notice_types = {
        "tender": "UK4",
        "tenderCancellation": "UK12",
        "award": "UK6",
        "contract": "UK7",
    }
    for release in releases:
        wanted = notice_types.get(release["tag"][0])
        if wanted:
            found = [
                d.get("noticeType")
                for section in (release["tender"], *release.get("awards", []), *release.get("contracts", []))
                for d in section.get("documents", [])
            ]
            assert wanted in found, (release["id"], found)
    for ocid in {release["ocid"] for release in releases}:
        record = record_of(client, ocid)
        assert [r["date"] for r in record["releases"]] == sorted(r["date"] for r in record["releases"])
        assert record["compiledRelease"]["tag"] == ["compiled"]

    cancelled = record_of(client, "ocds-xxxxxx-KCC-DCS-SB-X")["compiledRelease"]
    assert cancelled["tender"]["status"] == "cancelled"
    assert cancelled["tender"]["amendments"][0]["rationale"].startswith("Providers asked for more time")
    awarded = record_of(client, "ocds-xxxxxx-KCC-DCS-SB-A")["compiledRelease"]
    assert {a["status"] for a in awarded["awards"]} <= {"active", "unsuccessful"}
    assert {c["status"] for c in awarded["contracts"]} == {"active"}
    assert {c["awardID"] for c in awarded["contracts"]} <= {a["id"] for a in awarded["awards"]}
    # The Equality Impact Assessment of each framework is listed with its documents.
    framework = record_of(client, "ocds-xxxxxx-KCC-EIP-FW")["compiledRelease"]
    assert "equalityImpactAssessment" in {d["documentType"] for d in framework["tender"]["documents"]}
    assert framework["tender"]["specialRegime"] == ["lightTouch"]
    assert framework["tender"]["techniques"]["hasFrameworkAgreement"] is True
    # The package says which extensions it uses.
    package = client.get("/ocds/releases.json").get_json()
    assert any("cabinetoffice/ocds_uk_extension" in url for url in package["extensions"])
    assert any("ocds_lots_extension" in url for url in package["extensions"])


def test_publishing_an_event_again_changes_nothing(app, client, demo):
    before = {r.release_id: json.dumps(r.data, sort_keys=True) for r in demo.scalars(select(OcdsRelease))}
    with app.test_request_context():
        assert publish.publish_missing(demo) == 0
    demo.commit()
    after = {r.release_id: json.dumps(r.data, sort_keys=True) for r in demo.scalars(select(OcdsRelease))}
    assert after == before


def test_nothing_private_is_ever_published(client, demo):
    """Scan the bulk download, the release pages, the records and the contracts register
    (page and CSV) for every private value the demo holds."""
    db = demo
    private = set()
    private |= {u.email for u in db.scalars(select(User))}
    private |= {u.full_name for u in db.scalars(select(User).where(User.role != Role.PROVIDER))}
    private |= {o.contact_email for o in db.scalars(select(Organisation)) if o.contact_email}
    private |= {s.explanation for s in db.scalars(select(Score))} | {s.improvement for s in db.scalars(select(Score))}
    private |= {m.reason for m in db.scalars(select(ModeratedScore))}
    private |= {d.details for d in db.scalars(select(ConflictDeclaration))}
    private |= {d.reason for d in db.scalars(select(SelectionDecision))}
    private |= {a.text for a in db.scalars(select(BidAnswer)) if a.text}
    private |= {a.title for a in db.scalars(select(BidAttachment))} | {
        a.file.filename for a in db.scalars(select(BidAttachment))
    }
    for summary in db.scalars(select(AssessmentSummary)):
        private |= {value for value in _strings(summary.content) if len(value) > 40}
    public = set()  # what a summary repeats from the published tender: its titles, questions, descriptors
    for tender in db.scalars(select(Tender)):
        public |= {tender.title, tender.description, *map(str, (tender.score_descriptors or {}).values())}
        public |= {lot.title for lot in tender.lots} | {q.text for q in tender.questions}
    private = {value.strip() for value in private - public if value and len(value.strip()) >= 6}
    assert len(private) > 30  # the demo has evaluators, scores, summaries and bids to leak

    archive = zipfile.ZipFile(io.BytesIO(client.get("/ocds/download.zip").data))
    assert set(archive.namelist()) >= {"releases.json", "records.json", "audit-heads.json"}
    published = {name: archive.read(name).decode() for name in archive.namelist()}
    published["releases page"] = client.get("/ocds/releases.json").get_data(as_text=True)
    published["register"] = client.get("/contracts").get_data(as_text=True)
    published["register CSV"] = client.get("/contracts.csv").get_data(as_text=True)
    leaks = sorted((name, value[:60]) for name, text in published.items() for value in private if _appears(value, text))
    assert leaks == [], leaks

    releases = json.loads(published["releases.json"])
    assert not keys_of(releases) & {"score", "scores", "explanation", "evaluator", "evaluators", "email", "telephone"}
    assert all("details" not in release.get("bids", {}) for release in releases["releases"])

    # Unsuccessful bidders: named nowhere in the open data, their prices nowhere either.
    winners = {s.organisation_id for s in db.scalars(select(AssessmentSummary)) if s.outcome.name == "AWARDED"}
    losing = db.execute(
        select(Organisation.name, LotResult.price_pence)
        .join(Bid, Bid.id == LotResult.bid_id)
        .join(Organisation, Organisation.id == Bid.organisation_id)
        .where(Organisation.id.not_in(winners))
    ).all()
    assert losing
    for name, price in losing:
        assert json.dumps(name)[1:-1] not in published["releases.json"]
        if price:
            assert f'"amount": {price // 100}' not in published["releases.json"]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _appears(value: str, text: str) -> bool:
    escaped = {value, json.dumps(value)[1:-1], value.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")}
    return any(candidate in text for candidate in escaped)


# --- An award, step by step --------------------------------------------------------------------


@pytest.fixture
def in_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    with app.test_request_context():
        yield


def test_the_compiled_release_follows_the_award_and_old_releases_never_change(app, db, client, in_app):
    world = build_evaluated_tender(app, db, bids=3, lots=2, prices=[90_000_00, 100_000_00, 95_000_00])
    publish.publish_missing(db)  # the world was built straight into the tables: its tender notice
    award_through_summaries_sent(db, world, NOW)
    published = notice.publish(db, world.officer, world.tender, NOW)
    db.commit()
    ocid = f"ocds-xxxxxx-{world.tender.reference}"

    compiled = record_of(client, ocid)["compiledRelease"]
    awards = [a for a in compiled["awards"] if a["status"] != "unsuccessful"]
    assert awards and {a["status"] for a in awards} == {"pending"}
    assert {a["relatedLots"][0] for a in awards} == {"1", "2"}
    assert all(a["standstillPeriod"]["endDate"].startswith(published.standstill_ends_on.isoformat()) for a in awards)
    assert all("assessmentSummariesDateSent" in a for a in awards)
    assert "contracts" not in compiled
    award_release = db.scalar(select(OcdsRelease).where(OcdsRelease.kind == "award"))
    kept = json.dumps(award_release.data, sort_keys=True)

    # Award criteria per lot: the weights total 100 and the quality threshold is a minimum score.
    for lot in compiled["tender"]["lots"]:
        numbers = [n for c in lot["awardCriteria"]["criteria"] for n in c["numbers"]]
        assert sum(n["number"] for n in numbers if n.get("weight") == "percentageExact") == 100
        assert any(n.get("threshold") == "minimumScore" for n in numbers)
    # Bid statistics: counts of the bids assessed in each lot, and of those from VCSEs; never who.
    statistics = {(s["relatedLot"], s["measure"]): s["value"] for s in compiled["bids"]["statistics"]}
    for lot in world.lots:
        results = db.scalars(select(LotResult).where(LotResult.lot_id == lot.id)).all()
        assert statistics[(str(lot.number), "finalStageBids")] == len(results)
        vcse = sum(
            is_vcse(db.get(Organisation, db.get(Bid, r.bid_id).organisation_id).organisation_type) for r in results
        )
        assert statistics[(str(lot.number), "vcseFinalStageBids")] == vcse
    # The winners are parties with their charity or company number and their VCSE status.
    suppliers = [p for p in compiled["parties"] if "supplier" in p["roles"]]
    assert suppliers
    for party in suppliers:
        organisation = db.scalar(select(Organisation).where(Organisation.name == party["name"]))
        assert party["identifier"]["scheme"] in {"GB-CHC", "GB-COH"}
        assert party["details"]["vcse"] is is_vcse(organisation.organisation_type)
    bidder_names = {o.name for o in world.organisations}
    assert {p["name"] for p in compiled["parties"]} & bidder_names == {p["name"] for p in suppliers}

    # The contracts are entered after the standstill: a new release; the award release is unchanged.
    entered_at = datetime.combine(published.standstill_ends_on + timedelta(days=1), datetime.min.time(), UTC)
    contracts.enter(db, world.officer, world.tender, END_DATE, entered_at + timedelta(hours=10))
    db.commit()
    db.expire_all()
    assert json.dumps(db.get(OcdsRelease, award_release.id).data, sort_keys=True) == kept
    record = record_of(client, ocid)
    assert [r["tag"] for r in record["releases"]] == [["tender"], ["award"], ["contract"]]
    compiled = record["compiledRelease"]
    awards = [a for a in compiled["awards"] if a["status"] != "unsuccessful"]
    assert {a["status"] for a in awards} == {"active"}
    assert sorted(c["awardID"] for c in compiled["contracts"]) == sorted(a["id"] for a in awards)
    assert all(c["period"]["endDate"].startswith("2031-03-31") for c in compiled["contracts"])

    # Publishing the same event again returns the stored release, unchanged.
    again = publish.award_notice_published(db, world.tender, published)
    assert again.id == award_release.id and json.dumps(again.data, sort_keys=True) == kept
    # And nobody can rewrite one.
    again.data = {**again.data, "tag": ["awardUpdate"]}
    with pytest.raises(PublishedReleaseChanged):
        db.flush()
    db.rollback()


# --- Pages of releases ------------------------------------------------------------------------


def _fill(db, count: int) -> None:
    """``count`` small releases, one a minute back from NOW."""
    db.execute(
        insert(OcdsRelease),
        [
            {
                "release_id": f"T-{n}-tender-1",
                "ocid": f"ocds-xxxxxx-T-{n}",
                "kind": "tender",
                "date": NOW - timedelta(minutes=n),
                "created_at": NOW,
                "data": {
                    "ocid": f"ocds-xxxxxx-T-{n}",
                    "id": f"T-{n}-tender-1",
                    "date": (NOW - timedelta(minutes=n)).isoformat(),
                    "tag": ["tender"],
                    "initiationType": "tender",
                },
            }
            for n in range(count)
        ],
    )
    db.commit()


def test_pages_follow_links_next_and_filter_by_date(db, client):
    _fill(db, 250)
    first = client.get("/ocds/releases.json").get_json()
    assert len(first["releases"]) == 100 and first["releases"][0]["id"] == "T-0-tender-1"
    seen = [r["id"] for r in all_releases(client)]
    assert len(seen) == 250 == len(set(seen))
    since = (NOW - timedelta(minutes=9)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = client.get(f"/ocds/releases.json?since={since}").get_json()
    assert [r["id"] for r in recent["releases"]] == [f"T-{n}-tender-1" for n in range(10)]
    assert "links" not in recent
    bad_queries = (
        "since=2026-02-30",
        "until=yesterday",
        "cursor=nonsense",
        "since=2026-11-30T10:00:00",
        "cursor=20261130T000000000000Z.99999999999999999999",  # an id no database holds
        "since=0001-01-01T00:00:00%2B01:00",  # off the calendar once in UTC
        "until=9999-12-31T23:00:00-05:00",
    )
    for bad in bad_queries:
        response = client.get(f"/ocds/releases.json?{bad}")
        assert response.status_code == 400 and response.get_json()["error"]
    assert client.get("/ocds/records/ocds-xxxxxx-nothing.json").status_code == 404
    assert client.get("/ocds/releases.json?endpoint=x").status_code == 200  # a name the URL builder reserves
    for page in ("/contracts?page=²", "/audit-trail/heads?page=²"):  # a digit to Python, not to int()
        assert client.get(page).status_code == 200


@pytest.mark.parametrize("path", ["/ocds/releases.json", "/ocds/releases.json?since=2026-01-01", "/open-data"])
def test_a_page_costs_the_same_queries_at_10_and_10000_releases(app, db, client, path):
    _fill(db, 10)
    with count_queries(app) as small:
        assert client.get(path).status_code == 200
    _fill_more(db, 10, 10_000)
    with count_queries(app) as large:
        assert client.get(path).status_code == 200
    assert len(large) == len(small) <= 3


def _fill_more(db, start: int, end: int) -> None:
    rows = db.scalar(select(func.count(OcdsRelease.id)))
    assert rows == start
    db.execute(
        insert(OcdsRelease),
        [
            {
                "release_id": f"T-{n}-tender-1",
                "ocid": f"ocds-xxxxxx-T-{n}",
                "kind": "tender",
                "date": NOW - timedelta(minutes=n),
                "created_at": NOW,
                "data": {"ocid": f"ocds-xxxxxx-T-{n}", "id": f"T-{n}-tender-1"},
            }
            for n in range(start, end)
        ],
    )
    db.commit()


def test_the_open_data_page_explains_and_links(db, client):
    page = client.get("/open-data").get_data(as_text=True)
    assert "Nothing has been published yet" in page
    for link in (
        "/ocds/releases.json",
        "/ocds/download.zip",
        "/opportunities.atom",
        "/contracts",
        "/audit-trail/heads",
    ):
        assert f'href="{link}"' in page
    assert re.search(r"ocids start <code>ocds-xxxxxx-</code>", page)


def test_the_command_makes_the_missing_releases_once(app, db):
    world = build_evaluated_tender(app, db, bids=2)  # written straight to the tables: no release yet
    db.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ocds", "publish-missing"]).output.strip() == "1 release made"
    assert runner.invoke(args=["ocds", "publish-missing"]).output.strip() == "0 releases made"
    release = db.scalar(select(OcdsRelease))
    assert release.release_id == f"{world.tender.reference}-tender-1" and release.data["tag"] == ["tender"]
