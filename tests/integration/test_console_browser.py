"""The officer's console in a real browser (Debian's chromium, headless, driven by selenium)
against a post fed on a real broker: sign in, screen a planted traveller from an MRZ, see the
hit and its reasons, see the stale warning once the broker stops, and read the Arabic page
right to left. Screenshots go to the test's folder (and to FRONTLINE_CONSOLE_SCREENSHOT, if
set: that is how docs/images/console.png is made)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from gateway.broker import LocalCluster
from gateway.broker.ports import free_port
from gateway.contract import WantedPersonAlert
from gateway.contract.codec import encode
from gateway.post import PostService
from gateway.post.service import FEED_LOST_AFTER_S
from tests.support.paths import EXAMPLES
from tests.support.post import create_feed, produce, settings_for

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SPECIMEN_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
PLANTED = "INTERPOL:2025-118422"  # the shipped example: ANNA MARIA ERIKSSON, L898902C3


def browser() -> webdriver.Chrome:
    """Headless chromium at a booth screen's size."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1600,1250", "--lang=en-GB", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
    ):  # fmt: skip
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


def officer_session(
    url: str, token: str, cluster: LocalCluster, shots: Path, readme_shot: str | None
) -> dict[str, object]:
    """The officer's steps in the browser (blocking: run in a thread). Returns what was seen."""
    seen: dict[str, object] = {}
    driver = browser()
    wait = WebDriverWait(driver, 15)
    try:
        driver.get(url)
        token_box = wait.until(ec.element_to_be_clickable((By.ID, "token")))
        assert driver.switch_to.active_element == token_box  # autofocus: type at once
        token_box.send_keys(token, Keys.ENTER)
        mrz = wait.until(ec.element_to_be_clickable((By.ID, "mrz")))
        wait.until(
            lambda d: "status-ok" in str(d.find_element(By.ID, "status").get_attribute("innerHTML"))
        )
        assert driver.switch_to.active_element == mrz  # the scanner types into the MRZ box
        # A scanner types the zone line by line; the page submits once it is whole.
        mrz.send_keys(SPECIMEN_TD3[0], Keys.ENTER, SPECIMEN_TD3[1])
        hit = wait.until(ec.visibility_of_element_located((By.ID, "hit-1")))
        seen["hit"] = hit.text
        seen["document_number"] = driver.find_element(By.ID, "document_number").get_attribute(
            "value"
        )
        driver.save_screenshot(str(shots / "console-hit.png"))
        if readme_shot:
            driver.save_screenshot(readme_shot)

        cluster.down()  # the national node's broker goes away
        stale = WebDriverWait(driver, FEED_LOST_AFTER_S + 15).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "#status .banner-bad")
        )
        seen["stale"] = stale.text
        driver.save_screenshot(str(shots / "console-stale.png"))

        driver.find_element(By.CSS_SELECTOR, 'a[hreflang="ar"]').click()
        wait.until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ar")
        html = driver.find_element(By.TAG_NAME, "html")
        seen["ar"] = (
            html.get_attribute("dir"),
            driver.find_element(By.ID, "mrz").get_attribute("dir"),
        )
        seen["ar_status"] = driver.find_element(By.ID, "status").text
        driver.save_screenshot(str(shots / "console-ar.png"))
    finally:
        driver.quit()
    return seen


@pytest.mark.skipif(
    not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
    reason="chromium and chromedriver are installed by `make debs`",
)
async def test_officer_screens_an_mrz_in_a_real_browser(
    prefix: str, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An officer signs in, scans a wanted traveller's MRZ, sees the hit with its reasons,
    sees the stale warning after the broker stops, and gets the Arabic page right to left."""
    cluster = LocalCluster(tmp_path_factory.mktemp("kafka-console"))
    bootstrap = (await asyncio.to_thread(cluster.up, port=0)).bootstrap
    task: asyncio.Task[None] | None = None
    service: PostService | None = None
    try:
        settings = settings_for(bootstrap, prefix, data_dir)
        service = PostService(settings, "FRA", "CDG", retry_s=0.2)
        await create_feed(settings, service.topic, partitions=1)
        planted = WantedPersonAlert.model_validate(
            json.loads((EXAMPLES / "wanted_person.json").read_text(encoding="utf-8"))
        )
        await produce(bootstrap, service.topic, [(PLANTED, encode(planted))])
        _, token = service.officers.add("Officer Dupont")
        port = free_port()
        task = asyncio.create_task(service.run(http_port=port))
        await asyncio.wait_for(service.feed.caught_up.wait(), 30)
        shots = tmp_path_factory.mktemp("console-shots")
        seen = await asyncio.to_thread(
            officer_session, f"http://127.0.0.1:{port}/", token, cluster, shots,
            os.environ.get("FRONTLINE_CONSOLE_SCREENSHOT"),
        )  # fmt: skip
        hit = str(seen["hit"])
        assert PLANTED in hit
        assert "DETAIN AND CONTACT THE NATIONAL NODE" in hit
        assert "Why it matched" in hit
        assert "L898902C3" in hit  # the document's reason
        assert "Armed".upper() in hit.upper()
        assert seen["document_number"] == "L898902C3"  # the MRZ filled the form
        assert "WATCHLIST STALE" in str(seen["stale"])
        assert seen["ar"] == ("rtl", "ltr")  # the page right to left, the MRZ box left to right
        assert "القائمة قديمة" in str(seen["ar_status"])
        assert all(
            (shots / f"console-{n}.png").stat().st_size > 10_000 for n in ("hit", "stale", "ar")
        )
        access = service.access.entries()
        assert [row.officer for row in access] == ["1"]
    finally:
        if service is not None and task is not None:
            service.stop()
            await asyncio.wait_for(task, 20)
        await asyncio.to_thread(cluster.down)
