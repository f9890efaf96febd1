"""Browser, mail app, version and operating system read from a User-Agent header: to pre-fill the incident form, and
to name the browser in security e-mails and session lists ("Firefox on Windows").

Read by ua-parser (the maintained uap-core rules: Internet Explorer 11, Thunderbird, Outlook, Yandex, Vivaldi…), then
named the way people know them ("Chrome Mobile" is Chrome, "Mac OS X" is macOS). Only a default the person checks
and may correct: user agents lie (reduced Chrome strings, iPads calling themselves Macs), so this never decides
anything.
"""

from dataclasses import dataclass

from ua_parser import parse

MAX_LENGTH = 512

# ua-parser's family → the name people use. Families not listed keep their own name.
BROWSER_NAMES = {
    "IE": "Internet Explorer",
    "IE Mobile": "Internet Explorer",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "HeadlessChrome": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Opera Mobile": "Opera",
}
SYSTEM_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
# Browsers whose minor version matters to support (Safari follows the system: 17.1, 17.2…).
WITH_MINOR_VERSION = {"Safari"}
# Windows 10 and 11 send the same version: say both rather than guess.
WINDOWS_VERSIONS = {"10": "10 / 11", "8.1": "8.1", "8": "8", "7": "7", "XP": "XP", "Vista": "Vista"}


@dataclass(frozen=True)
class Detected:
    browser: str = ""  # "Firefox 128", "Thunderbird 128", "Outlook 2016"
    system: str = ""  # "Windows 10 / 11", "Android 14"
    browser_name: str = ""  # "Firefox"
    system_name: str = ""  # "Windows"


def detect(user_agent: str) -> Detected:
    user_agent = (user_agent or "")[:MAX_LENGTH]
    if not user_agent.strip():
        return Detected()
    result = parse(user_agent)
    browser = browser_name = ""
    if result.user_agent is not None:
        agent = result.user_agent
        browser_name = BROWSER_NAMES.get(agent.family, agent.family)
        version = agent.major or ""
        if version and agent.minor and browser_name in WITH_MINOR_VERSION:
            version = f"{version}.{agent.minor}"
        browser = f"{browser_name} {version}".strip()
    system = system_name = ""
    if result.os is not None:
        system_name = SYSTEM_NAMES.get(result.os.family, result.os.family)
        if system_name == "iOS" and result.device is not None and result.device.family == "iPad":
            system_name = "iPadOS"
        version = ".".join(part for part in (result.os.major, result.os.minor) if part)
        if system_name == "Windows":
            version = WINDOWS_VERSIONS.get(version, version)
        system = f"{system_name} {version}".strip()
    return Detected(browser=browser, system=system, browser_name=browser_name, system_name=system_name)
