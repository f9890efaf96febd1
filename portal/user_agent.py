"""Browser, version and operating system read from a User-Agent header: to pre-fill the incident form, and to name
the browser in security e-mails and session lists ("Firefox on Windows").

Only a default the person checks and may correct: user agents lie (reduced Chrome strings, iPads calling themselves
Macs), so this never decides anything. Order matters: Edge and Opera also say "Chrome", every browser on iOS says
"Safari", Android says "Linux".
"""

import re
from dataclasses import dataclass

MAX_LENGTH = 512

BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"\bOPR/(\d+)")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS|HeadlessChrome)/(\d+)")),
    ("Safari", re.compile(r"\bVersion/(\d+(?:\.\d+)?).*\bSafari/")),
)
WINDOWS_VERSIONS = {"10.0": "10 / 11", "6.3": "8.1", "6.2": "8", "6.1": "7"}
SYSTEMS = (
    ("Windows", re.compile(r"\bWindows NT (\d+\.\d+)")),
    ("Android", re.compile(r"\bAndroid (\d+(?:\.\d+)?)")),
    ("iPadOS", re.compile(r"\biPad\b.*? OS (\d+(?:_\d+)?)")),
    ("iOS", re.compile(r"\biPhone\b.*? OS (\d+(?:_\d+)?)")),
    ("ChromeOS", re.compile(r"\bCrOS\b()")),
    ("macOS", re.compile(r"\bMac OS X (\d+(?:[_.]\d+)?)")),
    ("Linux", re.compile(r"\bLinux\b()")),
)


@dataclass(frozen=True)
class Detected:
    browser: str = ""  # "Firefox 128"
    system: str = ""  # "Windows 10 / 11", "Android 14"
    browser_name: str = ""  # "Firefox"
    system_name: str = ""  # "Windows"


def detect(user_agent: str) -> Detected:
    user_agent = (user_agent or "")[:MAX_LENGTH]
    browser = browser_name = ""
    for name, pattern in BROWSERS:
        match = pattern.search(user_agent)
        if match:
            browser, browser_name = f"{name} {match.group(1)}", name
            break
    system = system_name = ""
    for name, pattern in SYSTEMS:
        match = pattern.search(user_agent)
        if match:
            version = match.group(1).replace("_", ".")
            if name == "Windows":
                version = WINDOWS_VERSIONS.get(version, version)
            system, system_name = f"{name} {version}".strip(), name
            break
    return Detected(browser=browser, system=system, browser_name=browser_name, system_name=system_name)
