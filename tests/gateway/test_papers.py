"""The printed papers: each printed through headless Chromium to PDF and read back.

A real gateway app (FastAPI TestClient, real SQLite, a manual clock), signed
in as operator 王五; each PDF is made by the real ``chromium`` and checked with
``pdftotext`` (plate, verdict values, profile version, operator, local time,
the provisional marker) and, for the QR codes, rendered by ``pdftoppm`` and
decoded by zxing-cpp. In Chinese (the default) and in English.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from coalguard.edge.clock import local_text
from coalguard.gateway.papers import PRINT_ENTRY, ledger_mark
from coalguard.gateway.web import create_app
from coalguard.gateway.web.qr import inspection_payload, sample_payload
from coalguard.i18n import t
from tests.conftest import require_binary
from tests.gateway.conftest import FAILING, PASSING, drive_to_judged, registration
from tests.gateway.paper_pdf import pdf_pages, pdf_qr_codes, pdf_text
from tests.gateway.session import add_user, sign_in
from tests.gateway.test_fastpass_checks import COMPANY, anthracite_list

OPERATOR = "王五 (wangwu)"


@pytest.fixture
def client(gw):
    require_binary("chromium")
    add_user(gw.store, "wangwu", "operator", "王五")
    with TestClient(create_app(gw, lang="zh"), follow_redirects=True) as c:
        sign_in(c, "wangwu")
        yield c


def use_lang(client: TestClient, lang: str) -> None:
    r = client.post("/lang", data={"lang": lang, "next": "/"})
    assert r.status_code == 200


def flat(text: str) -> str:
    """pdftotext's text with runs of spaces folded (table cells are laid out with spaces)."""
    return " ".join(text.split())


def printed(gw, iid: str) -> list[dict]:
    return [
        e.body
        for e in gw.ledger.entries("inspection")
        if e.kind == PRINT_ENTRY and e.body["inspection_id"] == iid
    ]


def turned_back(gw, clock) -> str:
    iid = drive_to_judged(gw, FAILING)
    clock.advance(timedelta(minutes=3))
    gw.workflow.turn_back(iid, OPERATOR, "灰分超标")
    return iid


def get_pdf(client: TestClient, url: str) -> bytes:
    r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    return r.content


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_turn_back_notice_prints_with_verdict_operator_time_and_qr(
    client, gw, clock, lang, tmp_path
):
    iid = turned_back(gw, clock)
    use_lang(client, lang)
    pdf = get_pdf(client, f"/inspections/{iid}/papers/notice.pdf")
    assert pdf_pages(pdf, tmp_path) == 1
    text = flat(pdf_text(pdf, tmp_path))
    insp = gw.workflow.get(iid)
    verdict = insp["verdict"]
    step = gw.workflow.steps(iid)[-1]
    assert step["action"] == "turn_back"
    for expected in (
        t("gw_papers.notice", lang),
        "冀A12345",
        "张三",  # driver
        "山西大同",
        "石家庄",
        "大同恒信煤业有限公司",  # the consigning company
        t("coal_type.anthracite", lang),
        f"{verdict['profile_id']} v{verdict['profile_version']}",
        verdict["profile_source"][:20],
        OPERATOR,
        local_text(step["at"], "%Y-%m-%d %H:%M"),  # Asia/Shanghai: 08:3x, not 00:3x
        t("gw_papers.provisional", lang),
        t("status.fail", lang),
        "F-S1",  # seal
    ):
        assert expected in text, f"{expected!r} missing from the {lang} notice:\n{text}"
    assert local_text(step["at"], "%Y-%m-%d %H:%M").endswith(("08:33", "08:34"))
    for ind in verdict["indicators"]:
        if ind.get("value") is not None:
            assert f"{ind['indicator']} {ind['value']:.2f}" in text, ind
    # the QR code, as a scanner reads it off the printed page: inspection id + ledger hash
    mark = ledger_mark(gw.store, insp)
    entry = next(e for e in gw.ledger.entries("inspection") if e.seq == mark.seq)
    assert entry.kind == "turn_back" and entry.body["inspection_id"] == iid
    assert pdf_qr_codes(pdf, tmp_path) == [inspection_payload(iid, mark.seq, entry.hash)]
    assert entry.hash in "".join(text.split())
    # who printed what, when: an inspection-ledger entry (and so a record for the cloud)
    assert printed(gw, iid) == [
        {
            "inspection_id": iid,
            "plate": "冀A12345",
            "paper": "notice",
            "format": "PDF",
            "lang": lang,
        }
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_inspection_slip_prints_for_a_released_truck(client, gw, lang, tmp_path):
    iid = drive_to_judged(gw, PASSING)
    gw.workflow.release(iid, OPERATOR)
    use_lang(client, lang)
    pdf = get_pdf(client, f"/inspections/{iid}/papers/slip.pdf")
    text = flat(pdf_text(pdf, tmp_path))
    for expected in (
        t("gw_papers.slip", lang),
        "冀A12345",
        "gb34169-2017/anthracite-1 v2017",
        t("status.pass", lang),
        OPERATOR,
        "2026-11-23 08:30",
        t("gw_papers.provisional", lang),
        t("gw_papers.slip_statement", lang)[:12],
    ):
        assert expected in text, f"{expected!r} missing from the {lang} slip:\n{text}"
    mark = ledger_mark(gw.store, gw.workflow.get(iid))
    assert pdf_qr_codes(pdf, tmp_path) == [inspection_payload(iid, mark.seq, mark.hash)]
    assert [p["paper"] for p in printed(gw, iid)] == ["slip"]


def test_slip_of_a_fast_pass_truck_names_the_report_and_no_limits(client, gw, tmp_path):
    gw.fast_pass.replace(anthracite_list(), "test")
    iid = gw.workflow.arrive("冀E00001", OPERATOR)
    gw.workflow.register(iid, OPERATOR, registration("冀E00001"))
    assert gw.workflow.check_fast_pass(iid, OPERATOR) is True
    gw.workflow.release(iid, OPERATOR)
    text = flat(pdf_text(get_pdf(client, f"/inspections/{iid}/papers/slip.pdf"), tmp_path))
    assert "冀E00001" in text and COMPANY in text and OPERATOR in text
    assert t("gw_papers.provisional", "zh") not in text  # nothing was judged
    assert t("verdict.limit", "zh") not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_label_prints_when_sampled(client, gw, clock, lang, tmp_path):
    wf = gw.workflow
    iid = wf.arrive("冀A12345", OPERATOR)
    wf.register(iid, OPERATOR, registration())
    wf.check_fast_pass(iid, OPERATOR)
    clock.advance(timedelta(minutes=5))
    sample = wf.take_sample(iid, OPERATOR, {"seal_no": "F-0099"})  # the gateway issues the id
    assert sample == "cp-test-20261123-001"
    use_lang(client, lang)
    pdf = get_pdf(client, f"/inspections/{iid}/papers/label.pdf")
    text = flat(pdf_text(pdf, tmp_path))
    for expected in (
        t("gw_papers.label", lang),
        sample,
        "冀A12345",
        "2026-11-23 08:35",
        OPERATOR,  # the sampler is the signed-in person who took the sample
        "F-0099",
        t("gw_papers.provisional", lang),  # the profile it will be judged by is provisional
    ):
        assert expected in text, f"{expected!r} missing from the {lang} label:\n{text}"
    assert pdf_qr_codes(pdf, tmp_path) == [sample_payload(sample, "F-0099", iid)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_custody_form_prints_each_hand_over(client, gw, clock, lang, tmp_path):
    iid = drive_to_judged(gw, FAILING)
    gw.workflow.turn_back(iid, OPERATOR, "", {"sample_id": "S1-L", "seal_no": "LF-7"})
    clock.advance(timedelta(minutes=20))  # within the session's idle time
    gw.lab.dispatch("S1-L", "李四 (lisi)", "省煤质检测中心")
    use_lang(client, lang)
    pdf = get_pdf(client, f"/inspections/{iid}/papers/custody.pdf")
    text = flat(pdf_text(pdf, tmp_path))
    for expected in (
        t("gw_papers.custody", lang),
        "S1-L",
        "LF-7",
        "冀A12345",
        "省煤质检测中心",
        t("gw_papers.custody_dispatched", lang),
        "李四 (lisi)",  # who handed the sample over
        "2026-11-23 08:50",  # when, Asia/Shanghai
        "2026-11-24 08:30",  # the 24 h deadline to reach the lab
        t("gw_papers.provisional", lang),
    ):
        assert expected in text, f"{expected!r} missing from the {lang} custody form:\n{text}"


@pytest.mark.parametrize(
    ("paper", "words"),
    [
        ("notice", "劝返告知书只用于已劝返的车辆"),
        ("label", "尚未抽样"),
        ("custody", "没有送检样品"),
    ],
)
def test_a_paper_for_the_wrong_state_is_refused_with_the_reason(client, gw, paper, words):
    iid = gw.workflow.arrive("冀A12345", OPERATOR)
    if paper == "notice":
        iid = drive_to_judged(gw, PASSING, plate="冀B54321")
        gw.workflow.release(iid, OPERATOR)
    for url in (f"/inspections/{iid}/papers/{paper}", f"/inspections/{iid}/papers/{paper}.pdf"):
        r = client.get(url)
        assert r.status_code == 409 and words in r.text, r.text[:400]
    assert printed(gw, iid) == []


def test_slip_for_a_turned_back_truck_is_refused_in_english(client, gw, clock):
    iid = turned_back(gw, clock)
    use_lang(client, "en")
    r = client.get(f"/inspections/{iid}/papers/slip.pdf")
    assert r.status_code == 409
    assert "an inspection slip is only for a released truck" in r.text
    assert "Turned back" in r.text  # the state in words, not 'turned_back'
    r = client.get(f"/inspections/{iid}/papers/receipt")
    assert r.status_code == 409 and "There is no paper called receipt" in r.text


def test_missing_chromium_is_a_503_in_words_and_nothing_is_recorded(client, gw, clock, tmp_path):
    iid = turned_back(gw, clock)
    gw.config.papers.chromium = str(tmp_path / "no-chromium-here")
    r = client.get(f"/inspections/{iid}/papers/notice.pdf")
    assert r.status_code == 503 and t("gw_papers.pdf_no_chromium", "zh") in r.text
    gw.config.papers.pdf_timeout_s = 0.001
    gw.config.papers.chromium = "chromium"
    r = client.get(f"/inspections/{iid}/papers/notice.pdf")
    assert r.status_code == 503 and t("gw_papers.pdf_timeout", "zh") in r.text
    assert printed(gw, iid) == []
    # the HTML paper still opens, for printing from the browser
    r = client.get(f"/inspections/{iid}/papers/notice")
    assert r.status_code == 200 and "@page" in r.text and "size:A4" in r.text
    assert "<nav" not in r.text and "<header" not in r.text and "<script" not in r.text


def test_page_offers_only_the_papers_of_the_state(client, gw, clock):
    back = turned_back(gw, clock)
    page = client.get(f"/?id={back}").text
    assert f'href="/inspections/{back}/papers/notice.pdf"' in page
    assert 'id="print-label"' in page and 'id="print-slip"' not in page
    released = drive_to_judged(gw, PASSING, plate="冀B54321", sample="S2")
    gw.workflow.release(released, OPERATOR)
    page = client.get(f"/?id={released}").text
    assert 'id="print-slip"' in page and 'id="print-notice"' not in page
    # the inspection's own page (found through the history) offers them too
    page = client.get(f"/inspections/{back}").text
    assert f'href="/inspections/{back}/papers/notice.pdf"' in page
    fresh = gw.workflow.arrive("冀C11111", OPERATOR)
    assert 'id="papers"' not in client.get(f"/?id={fresh}").text


def test_papers_need_a_signed_in_person(gw, clock):
    iid = turned_back(gw, clock)
    with TestClient(create_app(gw, lang="zh"), follow_redirects=False) as anon:
        url = f"/inspections/{iid}/papers/notice.pdf"
        r = anon.get(url, headers={"Accept": "text/html"})  # a browser: to the login page
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        assert anon.get(url).status_code == 401  # a script
    assert printed(gw, iid) == []


def test_seizure_notice_prints_the_zone_and_its_publish_date(client, gw, tmp_path):
    from tests.gateway.test_seizure import registered, zone_list

    gw.zones.replace(zone_list())
    iid = registered(gw, "东风村")
    r = client.get(f"/inspections/{iid}/papers/seizure.pdf")
    assert r.status_code == 409 and "查扣告知书只用于已查扣的车辆" in r.text
    gw.workflow.hold_for_seizure(iid, OPERATOR)
    page = client.get(f"/?id={iid}").text
    assert 'id="print-seizure"' in page and 'id="print-notice"' not in page
    text = flat(pdf_text(get_pdf(client, f"/inspections/{iid}/papers/seizure.pdf"), tmp_path))
    joined = "".join(text.split())  # the statement wraps anywhere
    for expected in (
        "查扣告知书",
        "冀A12345",
        "张三",
        "东风村(130102001001)",
        "禁煤区",
        "2026-10-01",
    ):
        assert expected in joined, f"{expected!r} missing from the seizure notice:\n{text}"
    assert OPERATOR in text
    assert [p["paper"] for p in printed(gw, iid)] == ["seizure"]
