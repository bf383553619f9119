#!/usr/bin/env python3
"""The dashboard in a real browser (Debian's chromium through chromium-driver, driven by Selenium
in offline mode: it downloads nothing). Against a running dev cluster:
  1. log in as a member of the sample's team;
  2. see the sample healthy in both zones on the apps page;
  3. deploy v2 from the CLI and watch the environment page follow without a reload;
  4. press "roll back" and see v1 served through the router.
A screenshot of each step is saved in OUT.
  scripts/browser-test.py --bin .build/debug/atlantis --out .ci/artifacts/dashboard
"""
import argparse
import os
import re
import subprocess
import sys
import time
import urllib.request

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try to fetch a driver
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manager", default="http://127.0.0.1:8090")
    ap.add_argument("--router", default="http://127.0.0.1:8080")
    ap.add_argument("--bin", required=True, help="the atlantis CLI (logged in as someone who may deploy the sample)")
    ap.add_argument("--user", default="alice")
    ap.add_argument("--password", default="alice-pw")
    ap.add_argument("--out", required=True)
    ap.add_argument("--v1", default="127.0.0.1:5000/atlantis/sample:v1")
    ap.add_argument("--v2", default="127.0.0.1:5000/atlantis/sample:v2")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # The story starts on v1 (a no-op when it runs already).
    subprocess.run([args.bin, "deploy", "sample", "--env", "prod", "--image", args.v1], check=True,
                   stdout=subprocess.DEVNULL)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                 "--disable-gpu", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    # Live rows are replaced as they change: an element read as it is swapped is read again.
    wait = WebDriverWait(driver, 60, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException])
    # Read in one script run, so that a row swapped meanwhile cannot be half read.
    text = lambda sel: driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", sel)
    shot = lambda name: driver.save_screenshot(os.path.join(args.out, name))
    step = lambda text: print("    browser: " + text, flush=True)
    try:
        # 1. Log in.
        driver.get(args.manager + "/ui")
        wait.until(lambda d: "/ui/login" in d.current_url)
        driver.find_element(By.ID, "user").send_keys(args.user)
        driver.find_element(By.ID, "password").send_keys(args.password)
        shot("1-login.png")
        driver.find_element(By.ID, "login").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-list="envs"]'))
        step("logged in as " + args.user)

        # 2. The sample, healthy in both zones.
        row = '[data-key="env/sample/prod/"]'

        def healthy_in_both(d):
            zones = d.execute_script(
                "return Array.from(document.querySelectorAll(arguments[0] + ' .zone'))"
                ".map(e => [e.innerText.split(' ')[0], e.className]);", row)
            zones = dict(zones)
            return {"zone-a", "zone-b"} <= set(zones) and all("ok" in v for v in zones.values())
        wait.until(healthy_in_both)
        shot("2-apps-healthy.png")
        step("sample prod healthy in zone-a and zone-b: " + text(row))

        # 3. Deploy v2 from the CLI; the environment page follows without a reload.
        driver.get(args.manager + "/ui/apps/sample/prod")
        summary = '[data-key="summary/sample/prod/"]'
        before = int(re.search(r"r(\d+) of", text(summary)).group(1))
        driver.execute_script("window.__loadedOnce = true;")
        subprocess.run([args.bin, "deploy", "sample", "--env", "prod", "--image", args.v2], check=True,
                       stdout=subprocess.DEVNULL)

        def followed(d):
            now = text(summary)
            m = re.search(r"r(\d+) of", now)
            return m and int(m.group(1)) > before and "healthy" in now and "rolling" not in now
        wait.until(followed)
        if driver.execute_script("return window.__loadedOnce === true") is not True:
            raise SystemExit("the page reloaded instead of following the deploy live")
        events = driver.execute_script("return document.body.dataset.events")
        after = int(re.search(r"r(\d+) of", text(summary)).group(1))
        shot("3-deployed-v2-live.png")
        step(f"the page followed r{before} -> r{after} live ({events} events, no reload)")

        # 4. Roll back with the button; v1 is served through the router.
        button = f'button[data-action="rollback"][data-release="{before}"]'
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, button).is_enabled())
        driver.find_element(By.CSS_SELECTOR, button).click()
        wait.until(lambda d: re.search(rf"r{before} of", text(summary)))
        deadline = time.time() + 60
        served = ""
        while time.time() < deadline:
            req = urllib.request.Request(args.router + "/version", headers={"Host": "sample.localhost"})
            try:
                served = urllib.request.urlopen(req, timeout=3).read().decode().strip()
            except Exception as e:  # noqa: BLE001
                served = str(e)
            if served == "v1":
                break
            time.sleep(0.2)
        if served != "v1":
            raise SystemExit(f"after the roll back the router serves {served!r}, not v1")
        wait.until(lambda d: "healthy" in text(summary) and "rolling" not in text(summary))
        shot("4-rolled-back-v1.png")
        step(f"rolled back to r{before}: the router serves v1")
    except Exception:
        shot("failure.png")
        with open(os.path.join(args.out, "failure.html"), "w") as f:
            f.write(driver.page_source)
        raise
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
