"""The pages in a real browser: headless Chromium driven by Selenium over the mapped v2 corpus.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); skipped, saying
so, when they are absent. The network is closed: Chromium gets the flags that stop it from
calling home, and the pages load nothing from outside this server.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kg.vocab import Iris
from kg.web.app import create_app
from kg.web.settings import Settings
from tests.conftest import V2_FILES

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="headless browser test needs Debian's chromium and chromium-driver "
    "(apt-get install -y chromium chromium-driver)",
)
IRIS = Iris()
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
]


@pytest.fixture(scope="module")
def site(mapped_corpus):
    """The app served over HTTP on a free local port, in a thread of this process."""
    server = make_server("127.0.0.1", 0, create_app(Settings(), mapped_corpus), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _study(nct: str) -> dict:
    path = next(p for p in V2_FILES if p.stem == nct)
    return json.loads(Path(path).read_text(encoding="utf-8"))["protocolSection"]


def test_home_page_loads_with_statistics(browser, site):
    browser.get(site + "/")
    assert browser.title.startswith("TrialKG")
    stats = browser.find_element(By.ID, "stats").text
    assert f"{len(V2_FILES):,}" in stats
    assert browser.find_element(By.ID, "q-trials-of-sponsor").is_displayed()


def test_example_query_runs_and_its_rows_appear(browser, site):
    browser.get(site + "/")
    Select(browser.find_element(By.ID, "example")).select_by_value("top-sponsors")
    assert "tk:organizationName" in browser.find_element(By.ID, "query").get_attribute("value")
    browser.find_element(By.ID, "run").click()
    rows = WebDriverWait(browser, 60).until(
        ec.presence_of_all_elements_located((By.CSS_SELECTOR, "#results table.rows tbody tr"))
    )
    assert len(rows) == 20  # the example's LIMIT
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results th")]
    assert headers == ["organisation", "name", "trials"]
    trials: dict = {}
    for path in V2_FILES:
        sponsors = _study(path.stem)["sponsorCollaboratorsModule"]
        for org in [sponsors["leadSponsor"], *sponsors.get("collaborators", [])]:
            trials.setdefault(IRIS.organization(org["name"].strip()), set()).add(path.stem)
    busiest = max(trials, key=lambda org: len(trials[org]))
    first = rows[0].find_elements(By.TAG_NAME, "td")
    assert first[2].text == str(len(trials[busiest]))
    link = first[0].find_element(By.TAG_NAME, "a").get_attribute("href")
    assert link == site + "/" + str(busiest)[len(IRIS.base) :]


def test_a_query_typed_in_the_editor_runs(browser, site):
    browser.get(site + "/")
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys(
        "PREFIX tk: <https://w3id.org/trialkg/ontology#>\n"
        'SELECT ?t WHERE { ?t tk:nctId "NCT00000410" }'
    )
    browser.find_element(By.ID, "run").click()
    cell = WebDriverWait(browser, 60).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#results table.rows td a"))
    )
    assert cell.text == "trial/NCT00000410"


def test_a_bad_query_shows_the_parser_s_message(browser, site):
    browser.get(site + "/")
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("SELECT WHERE {")
    browser.find_element(By.ID, "run").click()
    error = WebDriverWait(browser, 60).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#results pre.error"))
    )
    assert error.text


def test_named_query_form_runs(browser, site):
    browser.get(site + "/#q-trials-of-sponsor")
    form = browser.find_element(By.CSS_SELECTOR, "#q-trials-of-sponsor form")
    assert form.find_element(By.NAME, "sponsor").get_attribute("value") == "Bayer"
    form.find_element(By.TAG_NAME, "button").click()
    rows = WebDriverWait(browser, 60).until(
        ec.presence_of_all_elements_located(
            (By.CSS_SELECTOR, "#q-trials-of-sponsor table.rows tbody tr")
        )
    )
    bayer = IRIS.organization("Bayer")
    expected = set()
    for path in V2_FILES:
        sponsors = _study(path.stem)["sponsorCollaboratorsModule"]
        named = [("lead", sponsors["leadSponsor"]["name"])]
        named += [("collaborator", c["name"]) for c in sponsors.get("collaborators", [])]
        expected |= {(path.stem, r) for r, n in named if IRIS.organization(n.strip()) == bayer}
    assert len(rows) == len(expected)


@pytest.mark.parametrize("nct", ["NCT00000410", V2_FILES[len(V2_FILES) // 2].stem])
def test_trial_page_shows_title_and_sponsor(browser, site, nct, tmp_path):
    study = _study(nct)
    browser.get(f"{site}/trial/{nct}")
    title = browser.find_element(By.ID, "title").text
    assert title == study["identificationModule"]["briefTitle"].strip()
    sponsor_row = browser.find_element(
        By.CSS_SELECTOR, 'tr[data-property="https://w3id.org/trialkg/ontology#leadSponsor"]'
    )
    assert study["sponsorCollaboratorsModule"]["leadSponsor"]["name"].strip() in sponsor_row.text
    registry = browser.find_element(By.LINK_TEXT, "ClinicalTrials.gov").get_attribute("href")
    assert registry == f"https://clinicaltrials.gov/study/{nct}"
    shot = tmp_path / f"{nct}.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
